package io.meridian.core.api;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/cost/what-if}: what a change of where a keyspace's keys are written would do to
 * its cross-region cost and to its requests' latency, estimated from the last hour's measured
 * requests, bytes and round trips ({@link io.meridian.core.cost.WhatIf}).
 *
 * @param keyspace    the keyspace
 * @param policy      its policy now
 * @param change      the change, in words
 * @param currency    the prices' currency
 * @param atMs        when it was computed
 * @param windowS     the window the rates were measured over (up to the last hour)
 * @param cost        the keyspace's monthly cross-region cost: measured, modelled now, and modelled after
 * @param regions     per region where clients' requests arrive: their rates and latency, now and after
 * @param assumptions what the estimate takes for granted, with the measured figures it used
 * @param unavailable regions that did not answer, with why: their requests are missing from the estimate
 */
public record WhatIfView(String keyspace, String policy, String change, String currency, long atMs, double windowS,
                         Cost cost, List<Region> regions, List<String> assumptions, Map<String, String> unavailable) {

    /**
     * @param measuredMonthly the keyspace's cost at the measured rate ({@code GET /v1/cost})
     * @param beforeMonthly   the model's cost of the measured requests as they are routed now
     * @param afterMonthly    the model's cost of the same requests after the change
     * @param changeMonthly   after minus before
     * @param beforeBytesPerS the modelled WAN bytes per second now
     * @param afterBytesPerS  the modelled WAN bytes per second after
     * @param beforeByPair    the modelled monthly cost per directed pair {@code from>to}, now
     * @param afterByPair     the same after the change
     */
    public record Cost(double measuredMonthly, double beforeMonthly, double afterMonthly, double changeMonthly,
                       double beforeBytesPerS, double afterBytesPerS, Map<String, Double> beforeByPair,
                       Map<String, Double> afterByPair) {
    }

    /**
     * Clients' requests arriving at one region. Latency is the time the region took to answer,
     * measured now; after the change, the same time with the round trip to the region that serves
     * them swapped for the round trip to the new one. Null when nothing arrived, or a round trip
     * it needs was never measured.
     *
     * @param forwardedBefore the share of the requests served in another region now
     * @param forwardedAfter  the same after the change
     */
    public record Region(String region, double readsPerS, double writesPerS, Double readMsBefore, Double readMsAfter,
                         Double writeMsBefore, Double writeMsAfter, double forwardedBefore, double forwardedAfter) {
    }
}
