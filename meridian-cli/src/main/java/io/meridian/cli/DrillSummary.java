package io.meridian.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A drill's report for people: what happened, then a row per policy. {@code --json} prints the whole report instead. */
final class DrillSummary {
    private DrillSummary() {
    }

    @SuppressWarnings("unchecked")
    static void print(Map<String, Object> report, PrintStream out) {
        out.printf("%n%s drill of %s (failover policy %s, latency scale %s; control plane led by %s): the fault lasted %s%n",
                report.get("drill"), report.get("region"), report.get("failover_policy"), report.get("latency_scale"),
                report.get("control_leader_before"), seconds(report.get("fault_lasted_ms")));
        Map<String, Object> rejoin = (Map<String, Object>) report.get("rejoin");
        if (Boolean.TRUE.equals(rejoin.get("timed_out")) && !rejoin.containsKey("rejoined_after_ms")) {
            out.printf("it %s; the drill TIMED OUT waiting for it to rejoin (still %s), so did not fail it back%n",
                    Boolean.TRUE.equals(rejoin.get("failed_over")) ? "failed over" : "did not fail over", rejoin.get("status"));
        } else if (Boolean.TRUE.equals(rejoin.get("failed_over"))) {
            out.printf("it failed over; it rejoined %s after it was back, and failing it back took %s (now %s)%s%n",
                    seconds(rejoin.get("rejoined_after_ms")), seconds(rejoin.get("failback_ms")), rejoin.get("status"),
                    Boolean.TRUE.equals(rejoin.get("timed_out")) ? " -- TIMED OUT" : "");
        } else {
            out.printf("it did not fail over%s%n", rejoin.containsKey("rejected_pending")
                    ? " (the drill rejected pending decision " + rejoin.get("rejected_pending") + ")" : "");
        }
        for (Map<String, Object> t : (List<Map<String, Object>>) report.get("decision_timeline_ms_after_fault")) {
            out.println("decision " + t.get("decision") + ", after the fault: " + t.entrySet().stream()
                    .filter(e -> !e.getKey().equals("decision"))
                    .map(e -> e.getKey().replace('_', ' ') + " " + seconds(e.getValue())).collect(Collectors.joining(", ")));
        }
        out.printf("%n%-13s %-9s %-6s %-9s %-9s %-7s %-12s %-10s %s%n", "POLICY", "KEYSPACE", "OWNED", "RTO", "RPO(lost)",
                "ACKED", "UNACCOUNTED", "REFUSED*", "ERRORS SEEN ELSEWHERE");
        long unaccounted = 0;
        for (Map.Entry<String, Object> e : ((Map<String, Object>) report.get("policies")).entrySet()) {
            Map<String, Object> p = (Map<String, Object>) e.getValue();
            unaccounted += ((Number) p.get("unaccounted")).longValue();
            Map<String, Object> errors = (Map<String, Object>) p.get("errors_seen_by_other_regions");
            out.printf("%-13s %-9s %-6s %-9s %-9s %-7s %-12s %-10s %s%n", e.getKey(), p.get("keyspace"),
                    Boolean.TRUE.equals(p.get("victim_owned_keys")) ? "yes" : "no",
                    p.get("rto_ms") == null ? "none" : seconds(p.get("rto_ms")), p.get("rpo_writes_lost"), p.get("acknowledged"),
                    p.get("unaccounted"), p.get("writes_refused_in_victim"),
                    errors.isEmpty() ? "-" : errors.entrySet().stream()
                            .map(x -> x.getKey().replace("urn:meridian:problem:", "") + " " + x.getValue())
                            .collect(Collectors.joining(", ")));
            List<?> twoWriters = (List<?>) p.get("two_writers_in_one_epoch");
            if (twoWriters != null && !twoWriters.isEmpty()) {
                out.println("  TWO WRITERS IN ONE EPOCH: " + twoWriters);
            }
        }
        out.println("* writes the drilled region's own clients had refused during the fault");
        out.println("RTO: until writes to the keys the region owned succeeded elsewhere (for keys it did not own: the"
                + " longest failing stretch seen by other regions); RPO: acknowledged writes lost, each on a conflict feed.");
        Map<String, Object> staleness = (Map<String, Object>) report.get("read_staleness_of_its_keys_ms");
        if (!staleness.isEmpty()) {
            out.println("staleness stated by reads of its keys (p50 / p99 / max): " + staleness.entrySet().stream()
                    .map(x -> {
                        Map<String, Object> h = (Map<String, Object>) x.getValue();
                        return x.getKey() + " " + seconds(h.get("p50_ms")) + " / " + seconds(h.get("p99_ms")) + " / " + seconds(h.get("max_ms"));
                    }).collect(Collectors.joining("; ")));
        }
        if (report.containsKey("replicas_converged_after_ms") && report.get("replicas_converged_after_ms") == null) {
            out.println("REPLICAS DID NOT CONVERGE within 30 s after the drill: a replication stream is stuck (see /v1/cluster)");
        }
        out.println(unaccounted == 0 ? "every acknowledged write is accounted for" : "UNACCOUNTED ACKNOWLEDGED WRITES: " + unaccounted
                + " (the JSON report, --json, lists examples)");
        Map<String, Object> users = (Map<String, Object>) report.get("users");
        if (users != null) {
            out.printf("what users saw (%s visits/s per region through DNS, edge and gateway):%n", users.get("rate_per_region"));
            users.forEach((region, value) -> {
                if (value instanceof Map<?, ?> u) {
                    out.printf("  %-13s %5.1f%% errors, page p50/p99 %.1f / %.1f ms, served by %s%s%n", region,
                            100 * ((Number) u.get("error_rate")).doubleValue(), ((Number) u.get("page_p50_ms")).doubleValue(),
                            ((Number) u.get("page_p99_ms")).doubleValue(), u.get("served_by"),
                            u.containsKey("errors_from_s_after_fault") ? String.format(java.util.Locale.ROOT,
                                    "; errors from %.1f s to %.1f s after the fault: %s", ((Number) u.get("errors_from_s_after_fault"))
                                            .doubleValue(), ((Number) u.get("errors_until_s_after_fault")).doubleValue(), u.get("error_kinds"))
                                    : "");
                }
            });
        }
    }

    /** After repeated drills: per policy, RTO min/median/max, and the lost and unaccounted writes in all. */
    @SuppressWarnings("unchecked")
    static void printSpread(List<Map<String, Object>> reports, PrintStream out) {
        Map<String, List<Long>> rtos = new java.util.TreeMap<>();
        Map<String, Long> lost = new java.util.TreeMap<>();
        Map<String, Long> unaccounted = new java.util.TreeMap<>();
        Map<String, Integer> none = new java.util.TreeMap<>();
        for (Map<String, Object> report : reports) {
            boolean led = report.get("region").equals(report.get("control_leader_before"));
            for (Map.Entry<String, Object> e : ((Map<String, Object>) report.get("policies")).entrySet()) {
                Map<String, Object> p = (Map<String, Object>) e.getValue();
                String key = e.getKey() + (led ? " (it led the control plane)" : "");
                Object rto = p.get("rto_ms");
                if (rto == null) {
                    none.merge(key, 1, Integer::sum);
                } else {
                    rtos.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(((Number) rto).longValue());
                }
                lost.merge(key, ((Number) p.get("rpo_writes_lost")).longValue(), Long::sum);
                unaccounted.merge(key, ((Number) p.get("unaccounted")).longValue(), Long::sum);
            }
        }
        out.printf("%n%d drills of %s: RTO per policy (min / median / max), acknowledged writes lost and unaccounted in all%n",
                reports.size(), reports.stream().map(r -> String.valueOf(r.get("region"))).distinct()
                        .collect(Collectors.joining(" and ")));
        for (String policy : lost.keySet()) {
            List<Long> r = rtos.getOrDefault(policy, List.of()).stream().sorted().toList();
            out.printf("%-40s %s%s   lost %d, unaccounted %d%n", policy, r.isEmpty() ? "-" : seconds(r.getFirst()) + " / "
                    + seconds(r.get(r.size() / 2)) + " / " + seconds(r.getLast()),
                    none.containsKey(policy) ? " (no recovery in " + none.get(policy) + ")" : "", lost.get(policy), unaccounted.get(policy));
        }
    }

    private static String seconds(Object millis) {
        return millis == null ? "-" : String.format("%.1f s", ((Number) millis).longValue() / 1000.0);
    }
}
