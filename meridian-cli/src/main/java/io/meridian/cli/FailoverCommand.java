package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.lab.Lab;
import io.meridian.lab.LabException;
import io.meridian.lab.LabState;
import io.meridian.lab.Launcher;
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
        @Option(names = "--url", description = "a node's base URL (default: a running region of the lab)")
        String url;

        @Option(names = "--lab-dir", description = "the lab's state directory (default: as `lab`)")
        Path labDir;

        @Override
        public Integer call() throws Exception {
            try {
                HttpRequest request = request(base());
                HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
                JsonNode body = JSON.readTree(r.body());
                if (r.statusCode() >= 300) {
                    System.err.println("error: " + body.path("detail").asText(r.body()) + " (" + body.path("type").asText()
                            + ", HTTP " + r.statusCode() + ", region " + body.path("region").asText() + ")");
                    return 1;
                }
                print(body);
                return 0;
            } catch (LabException | IOException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }

        abstract HttpRequest request(String base);

        void print(JsonNode body) throws IOException {
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
        }

        static HttpRequest post(String url) {
            return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.noBody()).build();
        }

        private String base() {
            if (url != null) {
                return url;
            }
            Lab lab = new Lab(labDir != null ? labDir : LabCommand.defaultDir(), Launcher.current(Main.class.getName()), System.out);
            LabState state = lab.state().orElseThrow(() -> new LabException(
                    "no lab is running from " + lab.root() + "; start one with `./meridian lab up`, or give --url"));
            return state.regions().stream().filter(r -> r.process().handle().isPresent()).map(LabState.RegionProcess::url)
                    .findFirst().orElseThrow(() -> new LabException("no region of the lab is running"));
        }
    }

    @Command(name = "list", description = "The failover state: epoch, each region's status and acting regions, the lease, every decision.")
    static final class List extends Action {
        @Override
        HttpRequest request(String base) {
            return HttpRequest.newBuilder(URI.create(base + "/v1/failovers")).timeout(Duration.ofSeconds(10)).GET().build();
        }
    }

    @Command(name = "approve", description = "Approve a pending decision: the region is fenced and fails over once its lease has expired.")
    static final class Approve extends Action {
        @Parameters(paramLabel = "ID")
        long id;

        @Override
        HttpRequest request(String base) {
            return post(base + "/v1/failovers/" + id + "/approve");
        }
    }

    @Command(name = "reject", description = "Reject a pending decision: nothing changes.")
    static final class Reject extends Action {
        @Parameters(paramLabel = "ID")
        long id;

        @Override
        HttpRequest request(String base) {
            return post(base + "/v1/failovers/" + id + "/reject");
        }
    }

    @Command(name = "failback", description = "Give a rejoined region its keys back: the acting regions stop, it takes everything they wrote, then it writes again.")
    static final class Failback extends Action {
        @Parameters(paramLabel = "REGION")
        String region;

        @Override
        HttpRequest request(String base) {
            return post(base + "/v1/failovers/failback?region=" + region);
        }
    }
}
