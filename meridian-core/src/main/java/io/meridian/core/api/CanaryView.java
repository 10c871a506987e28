package io.meridian.core.api;

import java.util.List;

/**
 * {@code GET /v1/canary}: what this region's canary probes measured (see
 * {@code io.meridian.core.canary.Canary}).
 *
 * @param intervalMs how often each region writes its beat
 * @param written    beats this region wrote since it started
 * @param sources    per other region, how stale its writes were when they became visible here
 * @param ryw        per other region, the read-your-writes probes this region sent there
 */
public record CanaryView(String region, long intervalMs, long written, List<Source> sources, List<Ryw> ryw) {

    /**
     * Beats of one source region as this region saw them. Figures over the last {@code window}
     * beats; all null before the first.
     *
     * @param seen       beats seen since this region started
     * @param lastN      the newest beat's number (each region counts its own)
     * @param lastMs     the newest beat's staleness: from its write at the source to its apply here
     * @param ageMs      how old the newest visible beat is now: grows while nothing arrives from the source
     * @param minMs      the fastest beat of the window: never below the link's one-way delay where clocks agree
     */
    public record Source(String source, long seen, Long lastN, Long lastMs, Long ageMs, int window, Long minMs, Long p50Ms,
                         Long p99Ms, Long maxMs) {
    }

    /**
     * Read-your-writes probes to one target region: right after writing a beat, this region reads
     * it there with the write's session token; an answer older than the beat is a violation.
     *
     * @param failures probes with no answer (region or link down, timeouts): not violations
     * @param p50Ms    over the last {@code window} answered probes, the time to the answer
     */
    public record Ryw(String target, long probes, long violations, long failures, String lastViolation, int window,
                      Long p50Ms, Long p99Ms) {
    }
}
