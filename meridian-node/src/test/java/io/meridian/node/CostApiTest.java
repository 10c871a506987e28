package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WAN meter between two real nodes: replication counted by the region that dials (the
 * receiver) and weighed by keyspace, forwarded requests counted by the region that accepts them
 * and weighed by theirs, requests from clients (or naming a region that is not a peer) not counted,
 * and {@code GET /v1/cost} putting both regions' counters together, or saying which did not answer.
 * (That the counts agree with the bytes on the wire is LabIT's, against the WAN emulator.)
 */
class CostApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void countsRegionToRegionBytesByKeyspaceAndPutsBothEndsTogether() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: sessions, policy: multi-master}
                  - {name: catalog, policy: primary, primary: eu-west}
                canary: {interval-ms: 0}
                replication: {compression: none}   # the values below would deflate to almost nothing
                cost:
                  prices:
                    - {from: eu-west, per-gb: 0.05}
                """);
        String e = "http://127.0.0.1:" + p[0];
        String w = "http://127.0.0.1:" + p[2];
        RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"));
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"))) {
            TestNodes.startTogether(east, west);
            String value = "{\"v\": \"" + "x".repeat(200) + "\"}";
            for (int i = 0; i < 20; i++) {
                assertThat(put(e + "/v1/kv/sessions/s-" + i, value, null)).isEqualTo(201);
                assertThat(put(e + "/v1/kv/catalog/c-" + i, value, null)).as("forwarded to eu-west").isEqualTo(201);
            }
            // Not region-to-region: a region that is not configured, or the receiving region itself.
            JsonNode before = get(w + "/v1/cost/counters").path("now");
            for (String claimed : new String[] {"mars", "eu-west"}) {
                assertThat(put(w + "/v1/kv/catalog/claimed-" + claimed, value, claimed)).isEqualTo(201);
            }

            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                JsonNode flows = get(w + "/v1/cost/counters").path("now").path("flows");
                JsonNode replication = flow(flows, "us-east", "replication");
                assertThat(replication.path("received").asLong()).as("20 sessions writes of 200+ bytes from us-east")
                        .isGreaterThan(20 * 200);
                assertThat(replication.path("sent").asLong()).as("eu-west's subscription and acknowledgements").isPositive();
                assertThat(replication.path("weights").path("sessions").asLong()).isGreaterThanOrEqualTo(20 * 200);
                JsonNode forwarded = flow(flows, "us-east", "http");
                assertThat(forwarded.path("received").asLong()).as("20 forwarded PUTs").isGreaterThan(20 * 200);
                assertThat(forwarded.path("weights").path("catalog").asLong()).isGreaterThan(20 * 200);
            });
            JsonNode after = get(w + "/v1/cost/counters").path("now");
            assertThat(after.path("flows").findValuesAsText("peer")).containsOnly("us-east");
            assertThat(flow(after.path("flows"), "us-east", "http").path("weights").path("catalog").asLong()
                    - flow(before.path("flows"), "us-east", "http").path("weights").path("catalog").asLong())
                    .as("the PUTs naming mars or eu-west itself were not counted").isZero();
            // A request's bytes are exactly those its connection carried, counted once though the connection then closes.
            JsonNode beforeRaw = flow(get(w + "/v1/cost/counters").path("now").path("flows"), "us-east", "http");
            byte[] request = ("PUT /v1/kv/catalog/raw HTTP/1.1\r\nHost: 127.0.0.1\r\nMeridian-Region: us-east\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + value.length() + "\r\nConnection: close\r\n\r\n" + value)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            long answered;
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", p[2])) {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
                answered = socket.getInputStream().readAllBytes().length;
            }
            long rawBytes = request.length + answered;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(flow(get(w + "/v1/cost/counters").path("now")
                    .path("flows"), "us-east", "http").path("weights").path("catalog").asLong()
                    - beforeRaw.path("weights").path("catalog").asLong()).isEqualTo(rawBytes));
            Thread.sleep(300); // a second count of a closed connection would come now
            assertThat(flow(get(w + "/v1/cost/counters").path("now").path("flows"), "us-east", "http").path("weights").path("catalog")
                    .asLong() - beforeRaw.path("weights").path("catalog").asLong()).as("counted once").isEqualTo(rawBytes);

            // eu-west accepts nothing else of us-east's: us-east counts no flow of its own with eu-west but the replication
            // stream it dialled and the requests eu-west sends it (probes).
            JsonNode eastFlows = get(e + "/v1/cost/counters").path("now").path("flows");
            assertThat(flow(eastFlows, "eu-west", "replication").path("weights").path("catalog").asLong())
                    .as("catalog's writes, made in eu-west, replicated to us-east").isGreaterThan(20 * 200);

            JsonNode cost = get(e + "/v1/cost");
            assertThat(cost.path("currency").asText()).isEqualTo("USD");
            assertThat(cost.path("unavailable").size()).isZero();
            JsonNode eastToWest = pair(cost, "us-east", "eu-west");
            assertThat(eastToWest.path("complete").asBoolean()).isTrue();
            assertThat(eastToWest.path("per_gb").asDouble()).isEqualTo(0.02);
            assertThat(pair(cost, "eu-west", "us-east").path("per_gb").asDouble()).isEqualTo(0.05);
            assertThat(eastToWest.path("bytes").asLong()).as("the sessions batches and the forwarded catalog PUTs")
                    .isGreaterThan(2 * 20 * 200);
            assertThat(eastToWest.path("bytes_by_transport").path("replication").asLong()).isGreaterThan(20 * 200);
            assertThat(eastToWest.path("bytes_by_transport").path("http").asLong()).isGreaterThan(20 * 200);
            assertThat(eastToWest.path("bytes_per_s").asDouble()).isPositive();
            assertThat(eastToWest.path("monthly").asDouble()).isPositive();
            assertThat(cost.path("keyspaces").findValuesAsText("keyspace")).contains("sessions", "catalog", "(system)");

            // Clients' requests are counted where they arrived, by where they ran: us-east forwarded its catalog writes.
            JsonNode eastRouted = get(e + "/v1/cost/counters").path("now").path("routed");
            JsonNode forwardedWrites = routed(eastRouted, "catalog", "write", "eu-west", "eu-west");
            assertThat(forwardedWrites.path("requests").asLong()).isEqualTo(20);
            assertThat(forwardedWrites.path("bytes_in").asLong()).isEqualTo(20L * value.length());
            assertThat(forwardedWrites.path("micros").asLong()).isPositive();
            assertThat(routed(eastRouted, "sessions", "write", "", "us-east").path("requests").asLong()).isEqualTo(20);
            assertThat(routed(get(w + "/v1/cost/counters").path("now").path("routed"), "catalog", "write", "eu-west", "eu-west")
                    .path("requests").asLong()).as("the three PUTs sent to eu-west itself; its forwards are us-east's").isEqualTo(3);
            assertThat(get(e + "/v1/cost/counters").path("rtt_ms").path("eu-west").asDouble()).isPositive();

            // What if catalog's primary were us-east: us-east's 20 writes stop crossing, eu-west's 3 start.
            JsonNode whatIf = get(e + "/v1/cost/what-if?keyspace=catalog&primary=us-east");
            assertThat(whatIf.path("change").asText()).contains("primary in us-east");
            JsonNode eastRequests = regionOf(whatIf, "us-east");
            assertThat(eastRequests.path("forwarded_before").asDouble()).isEqualTo(1.0);
            assertThat(eastRequests.path("forwarded_after").asDouble()).isEqualTo(0.0);
            assertThat(eastRequests.path("write_ms_after").asDouble()).isLessThan(eastRequests.path("write_ms_before").asDouble());
            assertThat(regionOf(whatIf, "eu-west").path("forwarded_after").asDouble()).isEqualTo(1.0);
            assertThat(whatIf.path("cost").path("before_monthly").asDouble()).isPositive();
            assertThat(whatIf.path("cost").path("before_by_pair").has("us-east>eu-west")).isTrue();
            assertThat(whatIf.path("assumptions").size()).isGreaterThan(3);
            // Changes that cannot apply, and malformed asks, are refused as problems.
            assertProblem(e + "/v1/cost/what-if?keyspace=catalog&move=us-east&to=eu-west", 409, "wrong-policy");
            assertProblem(e + "/v1/cost/what-if?keyspace=catalog&primary=mars", 400, "unknown-region");
            assertProblem(e + "/v1/cost/what-if?keyspace=nope&primary=us-east", 404, "unknown-keyspace");
            assertProblem(e + "/v1/cost/what-if?keyspace=catalog", 400, "invalid-parameter");
            assertProblem(e + "/v1/cost/what-if?keyspace=catalog&primary=us-east&move=eu-west", 400, "invalid-parameter");

            // A region that does not answer is named, and its pairs count only what the other end saw.
            west.close();
            JsonNode alone = get(e + "/v1/cost");
            assertThat(alone.path("unavailable").path("eu-west").asText()).startsWith("no answer to us-east");
            assertThat(pair(alone, "us-east", "eu-west").path("complete").asBoolean()).isFalse();
        } finally {
            west.close();
        }
    }

    private static JsonNode flow(JsonNode flows, String peer, String transport) {
        for (JsonNode f : flows) {
            if (f.path("peer").asText().equals(peer) && f.path("transport").asText().equals(transport)) {
                return f;
            }
        }
        return JSON.createObjectNode();
    }

    private static JsonNode routed(JsonNode routed, String keyspace, String kind, String owner, String ranIn) {
        for (JsonNode r : routed) {
            if (r.path("keyspace").asText().equals(keyspace) && r.path("kind").asText().equals(kind)
                    && r.path("owner").asText().equals(owner) && r.path("ran_in").asText().equals(ranIn)) {
                return r;
            }
        }
        throw new AssertionError("no route " + keyspace + "/" + kind + "/" + owner + "/" + ranIn + " in " + routed);
    }

    private static JsonNode regionOf(JsonNode whatIf, String region) {
        for (JsonNode r : whatIf.path("regions")) {
            if (r.path("region").asText().equals(region)) {
                return r;
            }
        }
        throw new AssertionError("no region " + region + " in " + whatIf);
    }

    private void assertProblem(String url, int status, String type) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(JSON.readTree(r.body()).path("type").asText()).endsWith(type);
    }

    private static JsonNode pair(JsonNode cost, String from, String to) {
        for (JsonNode p : cost.path("pairs")) {
            if (p.path("from").asText().equals(from) && p.path("to").asText().equals(to)) {
                return p;
            }
        }
        throw new AssertionError("no pair " + from + ">" + to + " in " + cost);
    }

    private int put(String url, String body, String region) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body));
        if (region != null) {
            b.header("Meridian-Region", region);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private JsonNode get(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }
}
