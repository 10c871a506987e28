package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Command;

/**
 * {@code meridian cost}: {@code GET /v1/cost} as a table, or as JSON with {@code --json};
 * {@code meridian cost what-if}: {@code GET /v1/cost/what-if}.
 */
@Command(name = "cost", description = "What crosses between regions: bytes per second per pair and per keyspace over the last hour,"
        + " and their price over a month (GET /v1/cost).", subcommands = CostCommand.WhatIf.class)
final class CostCommand extends FailoverCommand.Action {

    @Command(name = "what-if", description = "What moving a keyspace's writes would do to its cost and latency, estimated from the"
            + " last hour's requests, bytes and round trips (GET /v1/cost/what-if).")
    static final class WhatIf extends FailoverCommand.Action {
        @picocli.CommandLine.Parameters(index = "0", paramLabel = "KEYSPACE", description = "an asynchronously replicated keyspace")
        String keyspace;

        @picocli.CommandLine.Option(names = "--move", paramLabel = "REGION", description = "move the keys whose home is REGION (home-region keyspaces) ...")
        String move;

        @picocli.CommandLine.Option(names = "--to", paramLabel = "REGION", description = "... to this region")
        String to;

        @picocli.CommandLine.Option(names = "--primary", paramLabel = "REGION", description = "make every write in REGION, as a primary keyspace")
        String primary;

        @Override
        HttpRequest request(String base) {
            StringBuilder query = new StringBuilder("keyspace=").append(encode(keyspace));
            if (move != null) {
                query.append("&move=").append(encode(move));
            }
            if (to != null) {
                query.append("&to=").append(encode(to));
            }
            if (primary != null) {
                query.append("&primary=").append(encode(primary));
            }
            return HttpRequest.newBuilder(URI.create(base + "/v1/cost/what-if?" + query)).timeout(Duration.ofSeconds(10)).GET().build();
        }

        private static String encode(String s) {
            return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        void print(JsonNode w) {
            String currency = w.path("currency").asText();
            JsonNode cost = w.path("cost");
            System.out.println("What if: " + w.path("change").asText());
            System.out.printf(Locale.ROOT, "from the last %.1f minutes of measurements%n%n", w.path("window_s").asDouble() / 60);
            System.out.printf(Locale.ROOT, "cost per month: %.2f %s now (measured %.2f), %.2f after: %+.2f %s%n",
                    cost.path("before_monthly").asDouble(), currency, cost.path("measured_monthly").asDouble(),
                    cost.path("after_monthly").asDouble(), cost.path("change_monthly").asDouble(), currency);
            System.out.printf(Locale.ROOT, "bytes between regions: %.2f KB/s now, %.2f after%n%n",
                    cost.path("before_bytes_per_s").asDouble() / 1000, cost.path("after_bytes_per_s").asDouble() / 1000);
            System.out.printf(Locale.ROOT, "%-16s %9s %9s %19s %19s %15s%n", "ARRIVING AT", "reads/s", "writes/s", "read ms now->after",
                    "write ms now->after", "forwarded");
            for (JsonNode r : w.path("regions")) {
                System.out.printf(Locale.ROOT, "%-16s %9.2f %9.2f %19s %19s %15s%n", r.path("region").asText(), r.path("reads_per_s").asDouble(),
                        r.path("writes_per_s").asDouble(), change(r.path("read_ms_before"), r.path("read_ms_after")),
                        change(r.path("write_ms_before"), r.path("write_ms_after")),
                        String.format(Locale.ROOT, "%.0f%% -> %.0f%%", 100 * r.path("forwarded_before").asDouble(),
                                100 * r.path("forwarded_after").asDouble()));
            }
            if (w.path("regions").isEmpty()) {
                System.out.println("(no client requests to this keyspace in the window)");
            }
            System.out.println();
            System.out.println("assumptions:");
            w.path("assumptions").forEach(a -> System.out.println("  - " + a.asText()));
            w.path("unavailable").properties().forEach(e -> System.out.println("not answering: " + e.getKey() + " (" + e.getValue().asText()
                    + "); its requests are not in the estimate"));
        }

        private static String change(JsonNode before, JsonNode after) {
            if (before.isNull() || before.isMissingNode()) {
                return "-";
            }
            return String.format(Locale.ROOT, "%.1f -> %s", before.asDouble(),
                    after.isNull() || after.isMissingNode() ? "?" : String.format(Locale.ROOT, "%.1f", after.asDouble()));
        }
    }

    @Override
    HttpRequest request(String base) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/cost")).timeout(Duration.ofSeconds(10)).GET().build();
    }

    @Override
    void print(JsonNode cost) {
        String currency = cost.path("currency").asText();
        System.out.printf(Locale.ROOT, "%-28s %9s %9s %9s %9s %9s %12s%n", "FROM -> TO", "KB/s", "repl", "raft", "http", "per GB",
                "per month");
        double window = 0;
        for (JsonNode p : cost.path("pairs")) {
            JsonNode t = p.path("by_transport");
            window = Math.max(window, p.path("window_s").asDouble());
            System.out.printf(Locale.ROOT, "%-28s %9.2f %9.2f %9.2f %9.2f %9.3f %8.2f %s%s%n",
                    p.path("from").asText() + " -> " + p.path("to").asText(), p.path("bytes_per_s").asDouble() / 1000,
                    t.path("replication").asDouble() / 1000, t.path("consensus").asDouble() / 1000, t.path("http").asDouble() / 1000,
                    p.path("per_gb").asDouble(), p.path("monthly").asDouble(), currency,
                    p.path("complete").asBoolean() ? "" : "  (one end did not answer)");
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-28s %9s %12s  %s%n", "KEYSPACE", "KB/s", "per month", "costliest pair");
        for (JsonNode k : cost.path("keyspaces")) {
            String costliest = "";
            double most = -1;
            for (var e : k.path("by_pair").properties()) {
                if (e.getValue().asDouble() > most) {
                    most = e.getValue().asDouble();
                    costliest = e.getKey().replace(">", " -> ");
                }
            }
            System.out.printf(Locale.ROOT, "%-28s %9.2f %8.2f %s  %s%n", k.path("keyspace").asText(), k.path("bytes_per_s").asDouble() / 1000,
                    k.path("monthly").asDouble(), currency, costliest);
        }
        System.out.printf(Locale.ROOT, "%ntotal %.2f %s a month at the rate of the last %.1f minutes%n", cost.path("monthly").asDouble(),
                currency, window / 60);
        cost.path("unavailable").properties().forEach(e -> System.out.println("not answering: " + e.getKey() + " (" + e.getValue().asText()
                + "); its pairs count only what the other end saw"));
    }
}
