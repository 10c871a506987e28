package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One screen of {@code meridian top}, computed from two samples of every region a refresh apart
 * (rates are differences over that time): pure, so it is tested without a lab.
 */
record TopFrame(String at, double seconds, long epoch, String policy, String controlLeader, List<RegionRow> regions,
                List<LinkRow> links, List<KeyspaceRow> keyspaces, List<String> decisions) {

    /**
     * What one region answered at one instant; {@code cluster}, {@code failovers} and
     * {@code metrics} are null when it did not answer ({@code error} says why); {@code canary}
     * ({@code /v1/canary}) is null where no canaries run.
     */
    record Sample(String region, long atNanos, JsonNode cluster, JsonNode failovers, String metrics, JsonNode canary, String error) {
        static Sample down(String region, long atNanos, String error) {
            return new Sample(region, atNanos, null, null, null, null, error);
        }

        boolean up() {
            return cluster != null;
        }
    }

    /**
     * @param requestsPerSecond requests on keyspaces (health checks, probes and scrapes left out); null on a first sample
     * @param p99Ms             the 99th percentile of those requests' latency, to the histogram's bucket bound
     */
    record RegionRow(String region, boolean up, String status, String lease, Double requestsPerSecond, Double p99Ms,
                     Double errorsPerSecond, Long unreplicatedWrites, Double conflictsPerMinute, String error) {
    }

    /** @param canaryP99Ms the staleness of the source's canary beats in the target, p99 over the last minute's (null: none) */
    record LinkRow(String source, String target, Boolean reachable, Double rttMs, Long lagMs, Long lagWrites, Double bytesPerSecond,
                   Long canaryP99Ms) {
    }

    /** A keyspace with writes only one region holds now, or with an RPO budget; the worst region's figures. */
    record KeyspaceRow(String keyspace, String policy, Long rpoBudgetMs, String worstRegion, long exposedWrites, long oldestAgeMs) {
    }

    /** The frame from {@code before} and {@code now}, one sample per region each, in the same order. */
    static TopFrame of(Instant at, List<Sample> before, List<Sample> now) {
        Map<String, Sample> earlier = new LinkedHashMap<>();
        before.forEach(s -> earlier.put(s.region(), s));
        JsonNode failovers = now.stream().filter(Sample::up).map(Sample::failovers).filter(f -> f != null && !f.isMissingNode())
                .findFirst().orElse(null);
        List<RegionRow> regions = new ArrayList<>();
        List<LinkRow> links = new ArrayList<>();
        Map<String, KeyspaceRow> keyspaces = new TreeMap<>();
        double seconds = 0;
        for (Sample s : now) {
            Sample b = earlier.get(s.region());
            double dt = b == null ? 0 : (s.atNanos() - b.atNanos()) / 1e9;
            seconds = Math.max(seconds, dt);
            boolean rates = b != null && b.up() && s.up() && dt > 0;
            String status = failovers == null ? "-" : statusOf(failovers, s.region());
            if (!s.up()) {
                regions.add(new RegionRow(s.region(), false, status, "-", null, null, null, null, null, s.error()));
                continue;
            }
            Requests reqNow = Requests.parse(s.metrics());
            Requests reqBefore = rates ? Requests.parse(b.metrics()) : null;
            JsonNode replication = s.cluster().path("replication");
            Double conflicts = rates && replication.has("conflicts_detected")
                    ? (replication.path("conflicts_detected").asLong() - b.cluster().path("replication").path("conflicts_detected").asLong())
                    / dt * 60 : null;
            JsonNode lease = s.failovers() == null ? null : s.failovers().path("lease");
            String leaseText = lease == null || lease.isMissingNode() ? "-" : lease.path("held").asBoolean() ? "held" : "none";
            regions.add(new RegionRow(s.region(), true, status, leaseText,
                    rates ? (reqNow.count - reqBefore.count) / dt : null,
                    rates ? reqNow.minus(reqBefore).quantileMs(0.99) : null,
                    rates ? (reqNow.errors - reqBefore.errors) / dt : null,
                    replication.has("unreplicated_writes") ? replication.path("unreplicated_writes").asLong() : null, conflicts, null));
            Map<String, JsonNode> peers = new LinkedHashMap<>();
            s.cluster().path("peers").forEach(p -> peers.put(p.path("region").asText(), p));
            Map<String, JsonNode> streams = new LinkedHashMap<>();
            replication.path("peers").forEach(p -> streams.put(p.path("region").asText(), p));
            Map<String, Long> sentBefore = new LinkedHashMap<>();
            if (rates) {
                b.cluster().path("replication").path("peers").forEach(p -> sentBefore.put(p.path("region").asText(), p.path("bytes_sent").asLong()));
            }
            for (Map.Entry<String, JsonNode> p : peers.entrySet()) {
                JsonNode stream = streams.get(p.getKey());
                JsonNode rtt = p.getValue().path("rtt_ms");
                links.add(new LinkRow(s.region(), p.getKey(), p.getValue().path("reachable").asBoolean(),
                        rtt.isNumber() ? rtt.asDouble() : null,
                        stream == null ? null : stream.path("lag_ms").asLong(),
                        stream == null ? null : stream.path("lag_entries").asLong(),
                        stream == null || !sentBefore.containsKey(p.getKey()) ? null
                                : (stream.path("bytes_sent").asLong() - sentBefore.get(p.getKey())) / dt,
                        canaryP99(now, s.region(), p.getKey())));
            }
            Map<String, String> policies = new LinkedHashMap<>();
            s.cluster().path("keyspaces").forEach(k -> policies.put(k.path("name").asText(), k.path("policy").asText()));
            for (JsonNode k : s.cluster().path("exposure").path(s.region()).path("keyspaces")) {
                String name = k.path("keyspace").asText();
                Long budget = k.path("rpo_budget_ms").isNumber() ? k.path("rpo_budget_ms").asLong() : null;
                long writes = k.path("writes").asLong();
                long oldest = k.path("oldest_age_ms").asLong();
                if (budget == null && writes == 0) {
                    continue;
                }
                KeyspaceRow seen = keyspaces.get(name);
                if (seen == null || oldest > seen.oldestAgeMs() || (oldest == seen.oldestAgeMs() && writes > seen.exposedWrites())) {
                    keyspaces.put(name, new KeyspaceRow(name, policies.getOrDefault(name, "?"), budget, s.region(), writes, oldest));
                }
            }
        }
        List<String> decisions = new ArrayList<>();
        if (failovers != null) {
            for (JsonNode d : failovers.path("decisions")) {
                String status = d.path("status").asText();
                if (!List.of("restored", "rejected", "withdrawn").contains(status)) {
                    decisions.add("#" + d.path("id").asText() + " " + d.path("region").asText() + " " + status
                            + " (" + d.path("trigger").asText() + ")" + (status.equals("pending")
                            ? ": waiting for `meridian failover approve " + d.path("id").asText() + "` or `reject`" : ""));
                }
            }
        }
        return new TopFrame(at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(), seconds, failovers == null ? -1 : failovers.path("epoch").asLong(),
                failovers == null ? "-" : failovers.path("policy").asText("-"),
                failovers == null ? "-" : failovers.path("control_leader").asText("-"), regions, links,
                List.copyOf(keyspaces.values()), decisions);
    }

    /** The p99 staleness of {@code source}'s canary beats as {@code target} last reported it; null when it has none. */
    private static Long canaryP99(List<Sample> samples, String source, String target) {
        for (Sample t : samples) {
            if (t.region().equals(target) && t.canary() != null) {
                for (JsonNode src : t.canary().path("sources")) {
                    if (src.path("source").asText().equals(source) && src.path("p99_ms").isNumber()) {
                        return src.path("p99_ms").asLong();
                    }
                }
            }
        }
        return null;
    }

    private static String statusOf(JsonNode failovers, String region) {
        for (JsonNode r : failovers.path("regions")) {
            if (r.path("name").asText().equals(region)) {
                return r.path("status").asText("-") + (r.path("witness").asBoolean() ? " (witness)" : "");
            }
        }
        return "-";
    }

    /**
     * The requests on keyspaces a node counted ({@code meridian_requests_seconds}), summed over
     * keyspaces, operations and statuses: their count, the 5xx among them, and the cumulative
     * histogram by bucket bound (seconds).
     */
    record Requests(long count, long errors, TreeMap<Double, Long> buckets) {
        static Requests parse(String metrics) {
            long count = 0;
            long errors = 0;
            TreeMap<Double, Long> buckets = new TreeMap<>();
            if (metrics == null) {
                return new Requests(0, 0, buckets);
            }
            for (String line : metrics.split("\n")) {
                boolean bucket = line.startsWith("meridian_requests_seconds_bucket{");
                boolean total = line.startsWith("meridian_requests_seconds_count{");
                if (!bucket && !total) {
                    continue;
                }
                Map<String, String> labels = labels(line);
                if (labels.getOrDefault("keyspace", "-").equals("-")) {
                    continue; // health checks, probes, scrapes, cluster views: not the application's requests
                }
                long value = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (total) {
                    count += value;
                    if (labels.getOrDefault("status", "").startsWith("5")) {
                        errors += value;
                    }
                } else {
                    String le = labels.get("le");
                    double bound = le == null || le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                    buckets.merge(bound, value, Long::sum);
                }
            }
            return new Requests(count, errors, buckets);
        }

        Requests minus(Requests earlier) {
            TreeMap<Double, Long> diff = new TreeMap<>();
            buckets.forEach((bound, n) -> diff.put(bound, n - earlier.buckets.getOrDefault(bound, 0L)));
            return new Requests(count - earlier.count, errors - earlier.errors, diff);
        }

        /** The smallest bucket bound at or above the quantile {@code q}, in milliseconds; null without requests. */
        Double quantileMs(double q) {
            Long all = buckets.get(Double.POSITIVE_INFINITY);
            if (all == null || all <= 0) {
                return null;
            }
            double rank = q * all;
            for (Map.Entry<Double, Long> e : buckets.entrySet()) {
                if (e.getValue() >= rank) {
                    return Double.isInfinite(e.getKey()) ? null : e.getKey() * 1000;
                }
            }
            return null;
        }

        private static Map<String, String> labels(String line) {
            Map<String, String> labels = new LinkedHashMap<>();
            int open = line.indexOf('{');
            int close = line.lastIndexOf('}');
            for (String pair : line.substring(open + 1, close).split(",")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    labels.put(pair.substring(0, eq), pair.substring(eq + 1).replace("\"", ""));
                }
            }
            return labels;
        }
    }

    /** The frame as text for a terminal: a header, then regions, links, keyspaces at risk and open decisions. */
    String render(String note) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "meridian top  %s  epoch %s  failover %s  control leader %s  (%s)%n%n",
                at, epoch < 0 ? "-" : epoch, policy, controlLeader, note));
        out.append(String.format(Locale.ROOT, "%-14s %-10s %-6s %9s %8s %7s %12s %13s%n", "REGION", "STATUS", "LEASE", "REQ/S", "P99 MS",
                "5XX/S", "UNREPLICATED", "CONFLICTS/MIN"));
        for (RegionRow r : regions) {
            if (!r.up()) {
                out.append(String.format(Locale.ROOT, "%-14s %-10s %s%n", r.region(), r.status().equals("-") ? "down" : r.status(),
                        "not answering: " + r.error()));
                continue;
            }
            out.append(String.format(Locale.ROOT, "%-14s %-10s %-6s %9s %8s %7s %12s %13s%n", r.region(), r.status(), r.lease(),
                    num(r.requestsPerSecond(), 1), num(r.p99Ms(), 1), num(r.errorsPerSecond(), 1),
                    r.unreplicatedWrites() == null ? "-" : r.unreplicatedWrites(), num(r.conflictsPerMinute(), 1)));
        }
        out.append(String.format(Locale.ROOT, "%n%-30s %-9s %8s %8s %10s %11s %11s%n", "LINK", "REACHABLE", "RTT MS", "LAG MS", "LAG WRITES",
                "BYTES/S", "SEEN P99 MS"));
        for (LinkRow l : links) {
            out.append(String.format(Locale.ROOT, "%-30s %-9s %8s %8s %10s %11s %11s%n", l.source() + " → " + l.target(),
                    Boolean.TRUE.equals(l.reachable()) ? "yes" : "NO", num(l.rttMs(), 1),
                    l.lagMs() == null ? "-" : l.lagMs(), l.lagWrites() == null ? "-" : l.lagWrites(), num(l.bytesPerSecond(), 0),
                    l.canaryP99Ms() == null ? "-" : l.canaryP99Ms()));
        }
        if (!keyspaces.isEmpty()) {
            out.append(String.format(Locale.ROOT, "%n%-14s %-13s %10s %-14s %13s %13s%n", "KEYSPACE", "POLICY", "RPO BUDGET", "WORST REGION",
                    "UNREPLICATED", "OLDEST MS"));
            for (KeyspaceRow k : keyspaces) {
                boolean over = k.rpoBudgetMs() != null && k.oldestAgeMs() > k.rpoBudgetMs();
                out.append(String.format(Locale.ROOT, "%-14s %-13s %10s %-14s %13d %13d%s%n", k.keyspace(), k.policy(),
                        k.rpoBudgetMs() == null ? "-" : k.rpoBudgetMs() + " ms", k.worstRegion(), k.exposedWrites(), k.oldestAgeMs(),
                        over ? "  OVER BUDGET" : ""));
            }
        }
        out.append(decisions.isEmpty() ? "\nno failover decision open\n" : "\nOPEN DECISIONS\n");
        decisions.forEach(d -> out.append("  ").append(d).append('\n'));
        return out.toString();
    }

    private static String num(Double value, int decimals) {
        return value == null ? "-" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }
}
