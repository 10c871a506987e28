package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code meridian cost}: {@code GET /v1/cost} as a table, or as JSON with {@code --json}. */
@Command(name = "cost", description = "What crosses between regions: bytes per second per pair and per keyspace over the last hour,"
        + " and their price over a month (GET /v1/cost).")
final class CostCommand extends FailoverCommand.Action {

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
