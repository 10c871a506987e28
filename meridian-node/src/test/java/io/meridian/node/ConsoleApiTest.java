package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the web console reads, between two real nodes: the console's files from the jar, each
 * region's status, and the overview one region gathers of both, once and as a live stream.
 * (The page itself is tested in a browser by ConsoleIT.)
 */
class ConsoleApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @Test
    void servesTheConsoleAndEveryRegionsStatus() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: sessions, policy: multi-master}
                canary: {interval-ms: 200}
                """);
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"))) {
            TestNodes.startTogether(east, west);
            String e = "http://127.0.0.1:" + p[0];

            // The files, from the jar.
            HttpResponse<String> bare = send("GET", e + "/console");
            assertThat(bare.statusCode()).isEqualTo(308);
            assertThat(bare.headers().firstValue("Location")).contains("/console/");
            HttpResponse<String> page = send("GET", e + "/console/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
            assertThat(page.body()).contains("<title>Meridian console</title>", "console.js", "vendor/uPlot.js");
            for (String file : List.of("console.js", "console.css", "vendor/uPlot.js", "vendor/uPlot.css")) {
                HttpResponse<String> f = send("GET", e + "/console/" + file);
                assertThat(f.statusCode()).as(file).isEqualTo(200);
                assertThat(f.body()).as(file).hasSizeGreaterThan(500);
            }
            assertThat(send("GET", e + "/console/vendor/uPlot.js").headers().firstValue("Content-Type"))
                    .contains("text/javascript; charset=utf-8");
            HttpResponse<String> head = send("HEAD", e + "/console/console.js");
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Length"))
                    .contains(Integer.toString(send("GET", e + "/console/console.js").body().getBytes(StandardCharsets.UTF_8).length));
            HttpResponse<String> missing = send("GET", e + "/console/../../etc/passwd");
            assertThat(missing.statusCode()).as("Jetty refuses the dot segments before the console sees them").isIn(400, 404);
            assertThat(missing.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(send("GET", e + "/console/nothing.js").statusCode()).isEqualTo(404);
            HttpResponse<String> post = send("POST", e + "/console/");
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");

            // A page of another site may read, and may not change anything through a browser; the node's own page may.
            HttpResponse<String> forged = http.send(HttpRequest.newBuilder(URI.create(e + "/v1/kv/sessions/forged"))
                    .header("Origin", "https://evil.example").header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(forged.statusCode()).isEqualTo(403);
            assertThat(forged.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(forged.body()).contains("cross-origin", "evil.example");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(e + "/v1/failovers/1/approve")).header("Origin", "null")
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(e + "/v1/kv/sessions/forged")).header("Origin", "https://evil.example")
                    .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).as("reads are not refused").isEqualTo(404);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(e + "/v1/kv/sessions/own")).header("Origin", e)
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).as("the node's own page").isEqualTo(201);

            // Requests on keyspaces are counted per keyspace and operation, with their latency histogram.
            for (int i = 0; i < 5; i++) {
                assertThat(send("PUT", e + "/v1/kv/sessions/k" + i).statusCode()).isEqualTo(201);
            }
            assertThat(send("GET", e + "/v1/kv/sessions/k0").statusCode()).isEqualTo(200);
            JsonNode status = JSON.readTree(send("GET", e + "/v1/status").body());
            assertThat(status.path("region").asText()).isEqualTo("us-east");
            assertThat(status.path("probe_interval_ms").asLong()).isPositive();
            JsonNode puts = find(status.path("requests"), "operation", "put");
            assertThat(puts.path("keyspace").asText()).isEqualTo("sessions");
            assertThat(puts.path("count").asLong()).as("5, and the page's own write").isEqualTo(6);
            assertThat(puts.path("errors").asLong()).isZero();
            assertThat(puts.path("total_ms").asDouble()).isPositive();
            long last = 0;
            for (var bucket : puts.path("buckets").properties()) {
                assertThat(bucket.getValue().asLong()).as("cumulative").isGreaterThan(last);
                last = bucket.getValue().asLong();
            }
            assertThat(last).as("the last bound holds every request under it").isLessThanOrEqualTo(6);
            assertThat(find(status.path("requests"), "operation", "get").path("count").asLong()).as("with the page's 404").isEqualTo(2);
            assertThat(status.path("requests").toString()).as("the console's own requests are not users'").doesNotContain("console");

            // The overview: both regions' statuses, as us-east gathered them.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode overview = JSON.readTree(send("GET", e + "/v1/overview").body());
                assertThat(overview.path("region").asText()).isEqualTo("us-east");
                assertThat(overview.path("keyspaces").get(0).path("name").asText()).isEqualTo("sessions");
                assertThat(overview.path("keyspaces").toString()).doesNotContain("_canary");
                JsonNode west0 = find(overview.path("statuses"), "region", "eu-west");
                assertThat(west0.has("error")).as(west0.toString()).isFalse();
                assertThat(find(west0.path("peers"), "region", "us-east").path("reachable").asBoolean()).isTrue();
                assertThat(find(west0.path("peers"), "region", "us-east").path("silent_ms").asLong()).isBetween(0L, 30_000L);
                assertThat(find(west0.path("canary").path("sources"), "source", "us-east").path("seen").asLong()).isPositive();
            });

            // Live: one overview a second over Server-Sent Events; three consoles at once share one gathering a second.
            String w = "http://127.0.0.1:" + p[2];
            long asked = statusRequests(w);
            List<Thread> consoles = new ArrayList<>();
            List<List<JsonNode>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int c = 0; c < 3; c++) {
                consoles.add(Thread.ofVirtual().start(() -> seen.add(overviews(e, 3))));
            }
            for (Thread t : consoles) {
                t.join(30_000);
            }
            assertThat(seen).hasSize(3).allSatisfy(events -> {
                assertThat(events).hasSize(3);
                assertThat(events.get(2).path("at_ms").asLong() - events.get(0).path("at_ms").asLong()).isBetween(1_000L, 30_000L);
            });
            assertThat(statusRequests(w) - asked).as("eu-west asked for its status by three consoles' nine overviews")
                    .isBetween(2L, 7L); // 9 without sharing

            // A region that does not answer is named with the reason, and the rest still shows.
            west.close();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode overview = JSON.readTree(send("GET", e + "/v1/overview").body());
                assertThat(find(overview.path("statuses"), "region", "eu-west").path("error").asText()).contains("no answer to us-east");
                assertThat(find(overview.path("statuses"), "region", "us-east").path("region").asText()).isEqualTo("us-east");
            });
        }
    }

    /** {@code n} overviews from a live stream, as a console reads them. */
    private List<JsonNode> overviews(String url, int n) {
        List<JsonNode> events = new ArrayList<>();
        try {
            HttpResponse<java.io.InputStream> live = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/overview"))
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.headers().firstValue("Content-Type")).contains("text/event-stream");
            try (BufferedReader in = new BufferedReader(new InputStreamReader(live.body(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null && events.size() < n; line = in.readLine()) {
                    if (line.startsWith("data: ")) {
                        events.add(JSON.readTree(line.substring(6)));
                    }
                }
            }
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
        return events;
    }

    /** How many times a node answered {@code GET /v1/status}, from its metrics. */
    private long statusRequests(String url) throws Exception {
        long n = 0;
        for (String line : send("GET", url + "/metrics").body().split("\n")) {
            if (line.startsWith("meridian_requests_seconds_count{") && line.contains("operation=\"status\"")) {
                n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return n;
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        throw new AssertionError("no " + field + "=" + value + " in " + array);
    }

    private HttpResponse<String> send(String method, String url) throws Exception {
        HttpRequest.BodyPublisher body = method.equals("PUT") ? HttpRequest.BodyPublishers.ofString("{\"v\":1}")
                : HttpRequest.BodyPublishers.noBody();
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").method(method, body)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
