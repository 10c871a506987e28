package io.meridian.core.cost;

import io.meridian.core.api.CostView;
import io.meridian.core.config.CostConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts the regions' {@link WanMeter} counters together into what crossed each directed pair of
 * regions and what it costs. The bytes from A to B are those A wrote on the connections it counts
 * with B plus those B read on the connections it counts with A; every connection is counted at
 * one end, so nothing is counted twice. Rates come from each region's own window (its reading
 * now against its reading about an hour ago), so a region that restarted since counts from then.
 */
public final class CostReport {
    /** The label of bytes on a link that carried nothing attributable in the window. */
    public static final String UNATTRIBUTED = "(unattributed)";
    /** A month, for projections: 30 days. */
    public static final double MONTH_SECONDS = 30 * 86_400.0;

    private CostReport() {
    }

    /** One region's counters now and where its window starts ({@link WanHistory#baseline}). */
    public record Reading(WanCounters now, WanCounters baseline) {
        WanCounters window() {
            return now.since(baseline);
        }
    }

    /**
     * @param regions     every configured region
     * @param readings    the regions that answered
     * @param unavailable the regions that did not, with why
     */
    public static CostView compute(List<String> regions, Map<String, Reading> readings, Map<String, String> unavailable,
                                   CostConfig prices, long atMs) {
        Map<String, WanCounters> windows = new LinkedHashMap<>();
        readings.forEach((region, r) -> windows.put(region, r.window()));
        List<CostView.Pair> pairs = new ArrayList<>();
        Map<String, double[]> keyspaceRates = new TreeMap<>(); // label -> {bytes/s, monthly}
        Map<String, Map<String, Double>> keyspacePairs = new TreeMap<>();
        double monthlyTotal = 0;
        for (String from : regions) {
            for (String to : regions) {
                if (from.equals(to)) {
                    continue;
                }
                double perGb = prices.perGb(from, to);
                long bytes = 0;
                double rate = 0;
                double window = 0;
                Map<String, Double> byTransport = new TreeMap<>();
                Map<String, Long> bytesByTransport = new TreeMap<>();
                Map<String, Double> byLabel = new TreeMap<>();
                for (Transport t : Transport.values()) {
                    String transport = t.wireName();
                    // What the sender counted (its connections with the receiver) and what the receiver counted (its own).
                    Side sender = side(readings, windows, from, to, transport, true, byLabel);
                    Side receiver = side(readings, windows, to, from, transport, false, byLabel);
                    window = Math.max(window, Math.max(sender.seconds(), receiver.seconds()));
                    double transportRate = sender.rate() + receiver.rate();
                    long transportBytes = sender.bytes() + receiver.bytes();
                    byTransport.put(transport, transportRate);
                    bytesByTransport.put(transport, transportBytes);
                    bytes += transportBytes;
                    rate += transportRate;
                }
                double monthly = monthly(rate, perGb);
                monthlyTotal += monthly;
                pairs.add(new CostView.Pair(from, to, bytes, bytesByTransport, window, rate, byTransport, perGb, monthly,
                        readings.containsKey(from) && readings.containsKey(to)));
                String pair = from + ">" + to;
                byLabel.forEach((label, labelRate) -> {
                    double[] sum = keyspaceRates.computeIfAbsent(label, l -> new double[2]);
                    double cost = monthly(labelRate, perGb);
                    sum[0] += labelRate;
                    sum[1] += cost;
                    keyspacePairs.computeIfAbsent(label, l -> new TreeMap<>()).put(pair, cost);
                });
            }
        }
        List<CostView.Keyspace> keyspaces = new ArrayList<>();
        keyspaceRates.forEach((label, sum) -> keyspaces.add(new CostView.Keyspace(label, sum[0], sum[1], keyspacePairs.get(label))));
        keyspaces.sort((a, b) -> Double.compare(b.monthly(), a.monthly()));
        return new CostView(prices.currency(), atMs, pairs, keyspaces, monthlyTotal, new TreeMap<>(unavailable));
    }

    /** One end's part of a pair's bytes on one transport: since it started, and as a rate over its window. */
    private record Side(long bytes, double rate, double seconds) {
    }

    private static Side side(Map<String, Reading> readings, Map<String, WanCounters> windows, String region, String peer,
                             String transport, boolean sent, Map<String, Double> byLabel) {
        if (!readings.containsKey(region)) {
            return new Side(0, 0, 0);
        }
        WanCounters.Flow total = readings.get(region).now().flow(peer, transport);
        WanCounters window = windows.get(region);
        double seconds = seconds(window);
        WanCounters.Flow recent = window.flow(peer, transport);
        double rate = share(recent, sent ? recent.sent() : recent.received(), seconds, byLabel);
        return new Side(sent ? total.sent() : total.received(), rate, seconds);
    }

    private static double seconds(WanCounters window) {
        return Math.max(0, window.atMs() - window.startedMs()) / 1000.0;
    }

    /** Adds a flow's bytes, as a rate, to its labels by their weights; returns the rate. */
    private static double share(WanCounters.Flow f, long bytes, double seconds, Map<String, Double> byLabel) {
        if (seconds <= 0 || bytes == 0) {
            return 0;
        }
        double rate = bytes / seconds;
        Map<String, Double> shares = WanCounters.shares(f);
        if (shares.isEmpty()) {
            byLabel.merge(UNATTRIBUTED, rate, Double::sum);
        } else {
            shares.forEach((label, s) -> byLabel.merge(label, rate * s, Double::sum));
        }
        return rate;
    }

    /** The cost of {@code bytesPerSecond} kept up for {@link #MONTH_SECONDS}. */
    public static double monthly(double bytesPerSecond, double perGb) {
        return bytesPerSecond * MONTH_SECONDS / CostConfig.BYTES_PER_GB * perGb;
    }
}
