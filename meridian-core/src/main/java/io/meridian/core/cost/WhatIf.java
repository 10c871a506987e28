package io.meridian.core.cost;

import io.meridian.core.KeyspaceRules;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.api.WhatIfView;
import io.meridian.core.config.CostConfig;
import io.meridian.core.config.KeyspaceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What moving where a keyspace's keys are written would do to its cross-region bytes, its cost
 * and its requests' latency, estimated from what the regions measured over the last hour: the
 * clients' requests each region received and where they ran ({@link WanMeter#routed}), the
 * keyspace's bytes on the wire per transport, and the round trips between regions.
 *
 * <p>The model is small and stated in the answer's assumptions. A request served in another region
 * than the one it reached crosses the pair both ways: its body and answer plus the HTTP framing of a
 * forward (measured on the keyspace's own forwards when it had some). A write is shipped from the
 * region that made it to every other region that holds the keyspace, at the bytes per write and
 * receiver the keyspace's replication measured. The same requests are then routed as the change
 * would route them and priced again, so the estimate's "before" can be checked against the measured
 * cost. A request's latency changes by the round trip to the region that serves it.
 *
 * <p>Pure: the node gathers the readings and round trips, this class only computes.
 */
public final class WhatIf {
    /**
     * HTTP framing of one forwarded request and its answer (request line and headers, status line
     * and headers: the forward's marks, session token, version), when the keyspace had no forwards
     * to measure it on. Measured on the lab: a forwarded PUT of a home-region key and its answer
     * carry 550 to 650 bytes besides their bodies.
     */
    public static final long DEFAULT_FORWARD_FRAMING = 600;

    private WhatIf() {
    }

    /** A change to where a keyspace's writes are made. */
    public sealed interface Change {
        /** In words, for the answer. */
        String describe(String keyspace);

        /** The region that would make the writes the change moves. */
        String writer();

        /** Where requests that reached {@code arrival} and ran in {@code ranIn} would run after the change. */
        String ranInAfter(String arrival, WanCounters.Routed routed);

        /** The keys whose home is {@code from} get the home {@code to}: home-region (and event-log) keyspaces. */
        record MoveHome(String from, String to) implements Change {
            @Override
            public String writer() {
                return to;
            }

            @Override
            public String describe(String keyspace) {
                return "move the keys of '" + keyspace + "' whose home is " + from + " to " + to;
            }

            @Override
            public String ranInAfter(String arrival, WanCounters.Routed r) {
                return r.owner().equals(from) ? follow(arrival, r, to) : r.ranIn();
            }
        }

        /** Every write of the keyspace is made in {@code region}, as a primary keyspace's. */
        record Primary(String region) implements Change {
            @Override
            public String writer() {
                return region;
            }

            @Override
            public String describe(String keyspace) {
                return "make '" + keyspace + "' a primary keyspace with its primary in " + region;
            }

            @Override
            public String ranInAfter(String arrival, WanCounters.Routed r) {
                return follow(arrival, r, region);
            }
        }

        /** Writes go to the new writer; reads served where they arrived stay, reads sent to the writer follow it. */
        private static String follow(String arrival, WanCounters.Routed r, String writer) {
            if (r.kind().equals(READ) && r.ranIn().equals(arrival)) {
                return arrival;
            }
            return writer;
        }
    }

    public static final String READ = "read";
    public static final String WRITE = "write";

    /**
     * Refuses a change that cannot apply to the keyspace: a policy without writers to move, a region
     * that is not a data region, a region outside the keyspace's residency.
     */
    public static void check(KeyspaceConfig keyspace, Change change, List<String> dataRegions) {
        KeyspaceRules rules = KeyspaceRules.of(keyspace.policy());
        if (!rules.asynchronous()) {
            throw new MeridianException(ProblemType.WRONG_POLICY, "the what-if models asynchronously replicated keyspaces; '"
                    + keyspace.name() + "' is " + keyspace.policy().name() + (rules.consensus()
                    ? ", whose writes commit through its Raft leader: moving the leader is not modelled yet"
                    : ", whose writes never leave their region"), java.util.Map.of("keyspace", keyspace.name()));
        }
        List<String> named = new ArrayList<>();
        switch (change) {
            case Change.MoveHome m -> {
                if (!rules.homed()) {
                    throw new MeridianException(ProblemType.WRONG_POLICY, "keyspace '" + keyspace.name() + "' is "
                            + keyspace.policy().name() + ": its keys have no home to move; ask for primary=REGION instead",
                            java.util.Map.of("keyspace", keyspace.name()));
                }
                if (m.from().equals(m.to())) {
                    throw new MeridianException(ProblemType.INVALID_PARAMETER, "move and to name the same region, "
                            + m.from() + ": nothing would change", java.util.Map.of("region", m.from()));
                }
                named.add(m.from());
                named.add(m.to());
            }
            case Change.Primary p -> named.add(p.region());
        }
        for (String region : named) {
            if (!dataRegions.contains(region)) {
                throw new MeridianException(ProblemType.UNKNOWN_REGION, "no data region is named '" + region
                        + "'; the data regions are " + String.join(", ", dataRegions), java.util.Map.of("region", region));
            }
        }
        String writer = change.writer();
        if (!keyspace.mayLiveIn(writer)) {
            throw new MeridianException(ProblemType.OUTSIDE_RESIDENCY, "keyspace '" + keyspace.name() + "' may live only in "
                    + String.join(", ", keyspace.residency()) + ", not in " + writer,
                    java.util.Map.of("keyspace", keyspace.name(), "region", writer));
        }
    }

    /** One region's requests of the keyspace along one route, as a rate over its window. */
    private record Flow(String arrival, WanCounters.Routed routed, double perS) {
        double bodyIn() {
            return (double) routed.bytesIn() / routed.requests();
        }

        double bodyOut() {
            return (double) routed.bytesOut() / routed.requests();
        }

        double meanMs() {
            return routed.micros() / 1000.0 / routed.requests();
        }

        boolean forwarded() {
            return !routed.ranIn().equals(arrival);
        }
    }

    /**
     * @param dataRegions every region that holds data
     * @param readings    the regions that answered: their counters now and where their window starts
     * @param rttMs       round trips measured by each region to each other ({@code from -> to -> ms})
     * @param unavailable the regions that did not answer, with why
     */
    public static WhatIfView compute(KeyspaceConfig keyspace, Change change, List<String> dataRegions,
                                     Map<String, CostReport.Reading> readings, Map<String, Map<String, Double>> rttMs,
                                     Map<String, String> unavailable, CostConfig prices, long atMs) {
        check(keyspace, change, dataRegions);
        String name = keyspace.name();
        List<String> holders = dataRegions.stream().filter(keyspace::mayLiveIn).toList();
        List<Flow> flows = new ArrayList<>();
        double window = 0;
        double replicationPerS = 0;
        double httpPerS = 0;
        double measuredMonthly = 0;
        for (Map.Entry<String, CostReport.Reading> e : readings.entrySet()) {
            String region = e.getKey();
            WanCounters w = e.getValue().window();
            double seconds = Math.max(0, w.atMs() - w.startedMs()) / 1000.0;
            if (seconds <= 0) {
                continue;
            }
            window = Math.max(window, seconds);
            for (WanCounters.Routed r : w.routed()) {
                if (r.keyspace().equals(name) && r.requests() > 0) {
                    flows.add(new Flow(region, r, r.requests() / seconds));
                }
            }
            for (WanCounters.Flow f : w.flows()) {
                double share = WanCounters.shares(f).getOrDefault(name, 0.0);
                if (share == 0) {
                    continue;
                }
                double sentPerS = f.sent() / seconds * share;
                double receivedPerS = f.received() / seconds * share;
                measuredMonthly += CostReport.monthly(sentPerS, prices.perGb(region, f.peer()))
                        + CostReport.monthly(receivedPerS, prices.perGb(f.peer(), region));
                if (f.transport().equals(Transport.REPLICATION.wireName())) {
                    replicationPerS += sentPerS + receivedPerS;
                } else if (f.transport().equals(Transport.HTTP.wireName())) {
                    httpPerS += sentPerS + receivedPerS;
                }
            }
        }

        List<String> assumptions = new ArrayList<>();
        // Replication: the keyspace's measured bytes over the copies its writes made.
        double copiesPerS = 0;
        double requestsPerS = 0;
        for (Flow f : flows) {
            requestsPerS += f.perS();
            if (f.routed().kind().equals(WRITE)) {
                copiesPerS += f.perS() * receivers(holders, f.routed().ranIn()).size();
            }
        }
        assumptions.add(String.format(Locale.ROOT, "clients sent %.2f requests/s to '%s' over the last %.0f s, counted in "
                + "the regions that received them", requestsPerS, name, window));
        double perCopy = copiesPerS > 0 ? replicationPerS / copiesPerS : 0;
        assumptions.add(copiesPerS > 0
                ? String.format(Locale.ROOT, "a write costs %.0f bytes on the wire for each region it is shipped to "
                + "(measured: the keyspace's replication bytes over its writes' copies), shipped from the region that "
                + "makes it to %s", perCopy, String.join(", ", holders))
                : "no writes in the window: replication is not in the estimate");
        // Forwards: bodies plus the framing measured on this keyspace's forwards, or a typical figure.
        double forwardsPerS = 0;
        double forwardBodiesPerS = 0;
        for (Flow f : flows) {
            if (f.forwarded()) {
                forwardsPerS += f.perS();
                forwardBodiesPerS += f.perS() * (f.bodyIn() + f.bodyOut());
            }
        }
        double framing = DEFAULT_FORWARD_FRAMING;
        if (forwardsPerS > 0 && httpPerS > forwardBodiesPerS) {
            framing = (httpPerS - forwardBodiesPerS) / forwardsPerS;
            assumptions.add(String.format(Locale.ROOT, "a forwarded request and its answer cost their bodies plus %.0f bytes"
                    + " of HTTP framing (measured on the keyspace's %.2f forwards/s)", framing, forwardsPerS));
        } else {
            assumptions.add("a forwarded request and its answer cost their bodies plus " + DEFAULT_FORWARD_FRAMING
                    + " bytes of HTTP framing (typical: the keyspace had no forwards to measure it on)");
        }
        assumptions.add("no failover is in effect: each region's keys are written where they are owned; "
                + "reads served where they arrive stay there, reads sent to the writer for freshness follow it");
        assumptions.add("latency is the time the receiving region took to answer; after the change it is the same time"
                + " with the round trip to the serving region (measured by the regions' probes) replaced");
        if (change instanceof Change.MoveHome m) {
            assumptions.add("every request for a key whose home is " + m.from() + " is served as if its home were "
                    + m.to() + ", the requests that created keys included");
        }

        Map<String, Double> before = new TreeMap<>();
        Map<String, Double> after = new TreeMap<>();
        Map<String, double[]> latency = new TreeMap<>(); // region -> reads/s, writes/s, read ms before/after, write ms before/after, fwd before/after
        List<String> missingRtt = new ArrayList<>();
        for (Flow f : flows) {
            String ranAfter = change.ranInAfter(f.arrival(), f.routed());
            price(f, f.routed().ranIn(), holders, framing, perCopy, before);
            price(f, ranAfter, holders, framing, perCopy, after);
            double[] l = latency.computeIfAbsent(f.arrival(), r -> new double[8]);
            boolean write = f.routed().kind().equals(WRITE);
            int at = write ? 1 : 0;
            l[at] += f.perS();
            Double swap = rttSwap(rttMs, f.arrival(), f.routed().ranIn(), ranAfter, missingRtt);
            l[2 + 2 * at] += f.perS() * f.meanMs();
            l[3 + 2 * at] += swap == null ? Double.NaN : f.perS() * Math.max(0, f.meanMs() + swap);
            l[6] += f.forwarded() ? f.perS() : 0;
            l[7] += ranAfter.equals(f.arrival()) ? 0 : f.perS();
        }
        if (!missingRtt.isEmpty()) {
            assumptions.add("no round trip measured for " + String.join(", ", missingRtt) + ": those regions' latency after is unknown");
        }
        List<WhatIfView.Region> regions = new ArrayList<>();
        latency.forEach((region, l) -> regions.add(new WhatIfView.Region(region, l[0], l[1], mean(l[2], l[0]), mean(l[3], l[0]),
                mean(l[4], l[1]), mean(l[5], l[1]), share(l[6], l[0] + l[1]), share(l[7], l[0] + l[1]))));

        Map<String, Double> beforeByPair = monthlyByPair(before, prices);
        Map<String, Double> afterByPair = monthlyByPair(after, prices);
        double beforeMonthly = sum(beforeByPair);
        double afterMonthly = sum(afterByPair);
        WhatIfView.Cost cost = new WhatIfView.Cost(measuredMonthly, beforeMonthly, afterMonthly, afterMonthly - beforeMonthly,
                sum(before), sum(after), beforeByPair, afterByPair);
        return new WhatIfView(name, keyspace.policy().name(), change.describe(name), prices.currency(), atMs, window, cost,
                regions, assumptions, new TreeMap<>(unavailable));
    }

    /** The regions a write made in {@code origin} is shipped to. */
    private static List<String> receivers(List<String> holders, String origin) {
        return holders.stream().filter(r -> !r.equals(origin)).toList();
    }

    /** Adds a flow's bytes per second, routed to {@code ranIn}, to the pairs they cross. */
    private static void price(Flow f, String ranIn, List<String> holders, double framing, double perCopy,
                              Map<String, Double> pairs) {
        if (!ranIn.equals(f.arrival())) {
            pairs.merge(f.arrival() + ">" + ranIn, f.perS() * (f.bodyIn() + framing / 2), Double::sum);
            pairs.merge(ranIn + ">" + f.arrival(), f.perS() * (f.bodyOut() + framing / 2), Double::sum);
        }
        if (f.routed().kind().equals(WRITE)) {
            for (String to : receivers(holders, ranIn)) {
                pairs.merge(ranIn + ">" + to, f.perS() * perCopy, Double::sum);
            }
        }
    }

    /** The change in round trip for requests from {@code arrival} served in {@code now}, then in {@code then}; null when unmeasured. */
    private static Double rttSwap(Map<String, Map<String, Double>> rttMs, String arrival, String now, String then,
                                  List<String> missing) {
        Double a = rtt(rttMs, arrival, now, missing);
        Double b = rtt(rttMs, arrival, then, missing);
        return a == null || b == null ? null : b - a;
    }

    private static Double rtt(Map<String, Map<String, Double>> rttMs, String from, String to, List<String> missing) {
        if (from.equals(to)) {
            return 0.0;
        }
        Double ms = rttMs.getOrDefault(from, Map.of()).get(to);
        if (ms == null || ms.isNaN()) {
            String pair = from + ">" + to;
            if (!missing.contains(pair)) {
                missing.add(pair);
            }
            return null;
        }
        return ms;
    }

    private static Map<String, Double> monthlyByPair(Map<String, Double> bytesPerS, CostConfig prices) {
        Map<String, Double> out = new TreeMap<>();
        bytesPerS.forEach((pair, rate) -> {
            String[] ends = pair.split(">", 2);
            out.put(pair, CostReport.monthly(rate, prices.perGb(ends[0], ends[1])));
        });
        return out;
    }

    private static double sum(Map<String, Double> values) {
        return values.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    private static Double mean(double weighted, double weight) {
        return weight <= 0 || Double.isNaN(weighted) ? null : weighted / weight;
    }

    private static double share(double part, double whole) {
        return whole <= 0 ? 0 : part / whole;
    }
}
