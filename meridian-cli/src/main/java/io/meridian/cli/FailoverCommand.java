package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.lab.LabException;
import io.meridian.lab.LabState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "failover", description = "See and steer failovers: list decisions, approve or reject a pending one, fail a region back.",
        subcommands = {FailoverCommand.List.class, FailoverCommand.Approve.class, FailoverCommand.Reject.class,
                FailoverCommand.Failback.class})
final class FailoverCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sends one request to a node (--url, else a running region of the lab) and prints the answer. */
    abstract static class Action implements Callable<Integer> {
        @Option(names = "--url", paramLabel = "URL", description = "a node's base URL (default: a running region of the lab)")
        String url;

        @Option(names = "--lab-dir", paramLabel = "DIR", description = "the lab's state directory (default: as `lab`)")
        Path labDir;

        @Option(names = "--json", description = "print the node's answer as JSON")
        boolean json;

        @picocli.CommandLine.Mixin
        ConnectionOptions tls;

        @Override
        public Integer call() throws Exception {
            HttpRequest request = null;
            try {
                request = tls.withToken(request(base()));
                javax.net.ssl.SSLContext context = tls.context(url == null ? LabCommand.lab(labDir) : null);
                HttpResponse<String> r = (context == null ? HttpClient.newHttpClient() : HttpClient.newBuilder().sslContext(context).build())
                        .send(request, HttpResponse.BodyHandlers.ofString());
                JsonNode body = JSON.readTree(r.body());
                if (r.statusCode() >= 300) {
                    System.err.println("error: " + body.path("detail").asText(r.body()) + " (" + body.path("type").asText()
                            + ", HTTP " + r.statusCode() + ", region " + body.path("region").asText() + ")");
                    return 1;
                }
                if (json) {
                    System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
                } else {
                    print(body);
                }
                return 0;
            } catch (java.net.ConnectException e) {
                System.err.println("error: cannot connect to " + request.uri().getAuthority()
                        + ": nothing listens there (the node is down, or the address is wrong)");
                return 1;
            } catch (LabException | IOException | IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }

        abstract HttpRequest request(String base);

        /** The answer of an operator's command: what the control plane did. */
        void print(JsonNode body) throws IOException {
            System.out.println(body.path("detail").asText("done") + " (epoch " + body.path("epoch").asText() + ")");
        }

        static HttpRequest post(String url) {
            return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.noBody()).build();
        }

        private String base() {
            if (url != null) {
                return url;
            }
            return LabCommand.running(labDir).regions().stream().filter(r -> r.process().handle().isPresent()).map(LabState.RegionProcess::url)
                    .findFirst().orElseThrow(() -> new LabException("no region of the lab is running"));
        }
    }

    @Command(name = "list", description = "The failover state: epoch, each region's status and acting regions, the lease, every decision.")
    static final class List extends Action {
        @Override
        HttpRequest request(String base) {
            return HttpRequest.newBuilder(URI.create(base + "/v1/failovers")).timeout(Duration.ofSeconds(10)).GET().build();
        }

        @Override
        void print(JsonNode f) {
            JsonNode lease = f.path("lease");
            System.out.printf("epoch %d, failover policy %s, control-plane leader %s; as seen from %s, which %s%n",
                    f.path("epoch").asLong(), f.path("policy").asText(), f.path("control_leader").asText("(none)"),
                    f.path("region").asText(), lease.path("held").asBoolean()
                            ? "holds its write lease (" + lease.path("remaining_ms").asLong() + " ms left)"
                            : "holds no write lease");
            System.out.printf("%n%-13s %-9s %-9s %-40s %s%n", "REGION", "STATUS", "DECISION", "ACTING FOR ITS KEYS", "SUSPECTS");
            for (JsonNode r : f.path("regions")) {
                java.util.List<String> acting = new java.util.ArrayList<>();
                r.path("acting_for").properties().forEach(e -> acting.add(e.getKey() + ": " + e.getValue().asText("nobody")));
                java.util.List<String> suspects = new java.util.ArrayList<>();
                r.path("suspects").forEach(s -> suspects.add(s.asText()));
                System.out.printf("%-13s %-9s %-9s %-40s %s%n", r.path("name").asText() + (r.path("witness").asBoolean() ? " (w)" : ""),
                        r.path("status").asText(), r.path("decision").isNull() || r.path("decision").isMissingNode() ? "-"
                                : "#" + r.path("decision").asLong(),
                        acting.isEmpty() ? "-" : String.join(", ", acting), suspects.isEmpty() ? "-" : String.join(", ", suspects));
            }
            JsonNode decisions = f.path("decisions");
            System.out.println();
            if (decisions.isEmpty()) {
                System.out.println("no failover decisions");
            }
            for (JsonNode d : decisions) {
                java.util.List<String> evidence = new java.util.ArrayList<>();
                d.path("evidence").forEach(e -> evidence.add(e.asText()));
                System.out.printf("decision #%d: %s %s (%s, raised %s)%n    evidence: %s%n", d.path("id").asLong(),
                        d.path("region").asText(), d.path("status").asText(), d.path("trigger").asText(),
                        java.time.Instant.ofEpochMilli(d.path("raised_at_millis").asLong()), String.join("; ", evidence));
                if (d.path("status").asText().equals("pending")) {
                    System.out.printf("    ./meridian failover approve %d   or   ./meridian failover reject %d%n",
                            d.path("id").asLong(), d.path("id").asLong());
                }
            }
            for (JsonNode l : f.path("lost")) {
                System.out.printf("lost writes of %s: its sequences %d..%d (decision #%d), on every region's conflict feed%n",
                        l.path("region").asText(), l.path("after").asLong() + 1, l.path("through").asLong(), l.path("decision").asLong());
            }
        }
    }

    @Command(name = "approve", description = "Approve a pending decision: the region is fenced and fails over once its lease has expired.")
    static final class Approve extends Action {
        @Parameters(paramLabel = "ID", description = "the pending decision's number, as `failover list` shows it")
        long id;

        @Override
        HttpRequest request(String base) {
            return post(base + "/v1/failovers/" + id + "/approve");
        }
    }

    @Command(name = "reject", description = "Reject a pending decision: nothing changes.")
    static final class Reject extends Action {
        @Parameters(paramLabel = "ID", description = "the pending decision's number, as `failover list` shows it")
        long id;

        @Override
        HttpRequest request(String base) {
            return post(base + "/v1/failovers/" + id + "/reject");
        }
    }

    @Command(name = "failback", description = "Give a rejoined region its keys back: the acting regions stop, it takes everything they wrote, then it writes again.")
    static final class Failback extends Action {
        @Parameters(paramLabel = "REGION", description = "a rejoined region (status rejoined in `failover list`)")
        String region;

        @Override
        HttpRequest request(String base) {
            return post(base + "/v1/failovers/failback?region=" + region);
        }
    }
}
