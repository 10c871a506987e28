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
 * cost. A request served elsewhere takes what the new region takes to serve its own clients, plus
 * the round trip and the measured forwarding overhead when it is forwarded.
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

    /** Replication bytes per copy of a write: to the receiver, and back from it. */
    private record Copy(double shipped, double returned) {
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
        double shippedPerS = 0; // replication towards the receivers: the entries
        double returnedPerS = 0; // and back from them: subscriptions and acknowledgements
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
                    // Counted by the receiver, which dials: what it read is what was shipped to it.
                    shippedPerS += receivedPerS;
                    returnedPerS += sentPerS;
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
        Copy perCopy = copiesPerS > 0 ? new Copy(shippedPerS / copiesPerS, returnedPerS / copiesPerS) : new Copy(0, 0);
        assumptions.add(copiesPerS > 0
                ? String.format(Locale.ROOT, "a write costs %.0f bytes on the wire to each region it is shipped to and %.0f"
                + " back (measured: the keyspace's replication bytes over its writes' copies), shipped from the region that "
                + "makes it to the others of %s", perCopy.shipped(), perCopy.returned(), String.join(", ", holders))
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
        Latency model = new Latency(flows, rttMs);
        assumptions.add(String.format(Locale.ROOT, "latency is the time the region a client reached took to answer; after the"
                + " change, requests served elsewhere than now take what the serving region takes for its own clients' requests"
                + " (measured; any region's when it had none), plus, when forwarded, the round trip its probes measure and"
                + " %.1f ms (writes) and %.1f ms (reads) of forwarding beyond it (measured on the keyspace's forwards, else 0)",
                model.overhead(WRITE), model.overhead(READ)));
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
            Double msAfter = model.after(f, ranAfter, missingRtt);
            l[2 + 2 * at] += f.perS() * f.meanMs();
            l[3 + 2 * at] += msAfter == null ? Double.NaN : f.perS() * msAfter;
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
    private static void price(Flow f, String ranIn, List<String> holders, double framing, Copy perCopy,
                              Map<String, Double> pairs) {
        if (!ranIn.equals(f.arrival())) {
            pairs.merge(f.arrival() + ">" + ranIn, f.perS() * (f.bodyIn() + framing / 2), Double::sum);
            pairs.merge(ranIn + ">" + f.arrival(), f.perS() * (f.bodyOut() + framing / 2), Double::sum);
        }
        if (f.routed().kind().equals(WRITE)) {
            for (String to : receivers(holders, ranIn)) {
                pairs.merge(ranIn + ">" + to, f.perS() * perCopy.shipped(), Double::sum);
                if (perCopy.returned() > 0) {
                    pairs.merge(to + ">" + ranIn, f.perS() * perCopy.returned(), Double::sum);
                }
            }
        }
    }

    /**
     * How long requests take when routed another way: the serving region's time for requests it
     * serves itself, plus the round trip and the forwarding overhead when they are forwarded.
     */
    private static final class Latency {
        private final Map<String, Map<String, double[]>> served = new TreeMap<>(); // kind -> region -> {ms x rate, rate}
        private final Map<String, double[]> anywhere = new TreeMap<>(); // kind -> {ms x rate, rate}
        private final Map<String, double[]> forwarding = new TreeMap<>(); // kind -> {extra ms x rate, rate}
        private final Map<String, Map<String, Double>> rttMs;

        Latency(List<Flow> flows, Map<String, Map<String, Double>> rttMs) {
            this.rttMs = rttMs;
            for (Flow f : flows) {
                if (!f.forwarded()) {
                    add(served.computeIfAbsent(f.routed().kind(), k -> new TreeMap<>())
                            .computeIfAbsent(f.arrival(), r -> new double[2]), f.meanMs(), f.perS());
                    add(anywhere.computeIfAbsent(f.routed().kind(), k -> new double[2]), f.meanMs(), f.perS());
                }
            }
            for (Flow f : flows) {
                Double rtt = rtt(rttMs, f.arrival(), f.routed().ranIn(), new ArrayList<>());
                Double serve = serving(f.routed().kind(), f.routed().ranIn());
                if (f.forwarded() && rtt != null && serve != null) {
                    add(forwarding.computeIfAbsent(f.routed().kind(), k -> new double[2]), f.meanMs() - rtt - serve, f.perS());
                }
            }
        }

        private static void add(double[] sum, double ms, double weight) {
            sum[0] += ms * weight;
            sum[1] += weight;
        }

        /** The mean time {@code region} takes to serve its own clients' requests of a kind, else any region's; null if none. */
        Double serving(String kind, String region) {
            double[] here = served.getOrDefault(kind, Map.of()).get(region);
            double[] any = here != null ? here : anywhere.get(kind);
            return any == null || any[1] <= 0 ? null : any[0] / any[1];
        }

        /** What a forward adds beyond the round trip the probes measure, for a kind (never below 0). */
        double overhead(String kind) {
            double[] o = forwarding.get(kind);
            return o == null || o[1] <= 0 ? 0 : Math.max(0, o[0] / o[1]);
        }

        /** The flow's latency if served in {@code ranAfter}; null when a round trip it needs was never measured. */
        Double after(Flow f, String ranAfter, List<String> missing) {
            if (ranAfter.equals(f.routed().ranIn())) {
                return f.meanMs();
            }
            Double serve = serving(f.routed().kind(), ranAfter);
            if (serve == null) {
                // Nobody served this kind locally: what this flow took, less the round trip it made.
                Double rtt = rtt(rttMs, f.arrival(), f.routed().ranIn(), missing);
                if (rtt == null) {
                    return null;
                }
                serve = Math.max(0, f.meanMs() - rtt - overhead(f.routed().kind()));
            }
            if (ranAfter.equals(f.arrival())) {
                return serve;
            }
            Double rtt = rtt(rttMs, f.arrival(), ranAfter, missing);
            return rtt == null ? null : serve + rtt + overhead(f.routed().kind());
        }
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
