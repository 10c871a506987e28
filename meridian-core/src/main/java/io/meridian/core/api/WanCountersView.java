package io.meridian.core.api;

import io.meridian.core.cost.WanCounters;

/**
 * {@code GET /v1/cost/counters}: one region's WAN counters ({@link WanCounters}) now, and the
 * reading where its window of the last hour starts (the start of counting when it started less
 * than an hour ago). {@code GET /v1/cost} asks every region for these and puts them together.
 */
public record WanCountersView(WanCounters now, WanCounters baseline) {
}
