package io.meridian.core.api;

import io.meridian.core.cost.WanCounters;

/**
 * {@code GET /v1/cost/counters}: one region's WAN counters ({@link WanCounters}) now, and the
 * reading where its window of the last hour starts (the start of counting when it started less
 * than an hour ago), and its probes' average round trip to each peer they reached ({@code rtt_ms}).
 * {@code GET /v1/cost} and {@code GET /v1/cost/what-if} ask every region for these and put them together.
 */
public record WanCountersView(WanCounters now, WanCounters baseline, java.util.Map<String, Double> rttMs) {
    public WanCountersView {
        rttMs = rttMs == null ? java.util.Map.of() : java.util.Map.copyOf(rttMs);
    }
}
