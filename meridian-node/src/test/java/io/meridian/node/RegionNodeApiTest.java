package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API of one real node (Jetty, RocksDB) on 127.0.0.1, one behaviour per test. */
class RegionNodeApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;
    static RegionNode node;
    static String base;

    @BeforeAll
    static void start() {
        MeridianConfig config = ConfigLoader.parse("test.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:0}
                keyspaces:
                  - {name: cache, policy: local, max-value-bytes: 1024}
                  - {name: pages, policy: local}
                """);
        node = RegionNode.create(config, "us-east", dir.resolve("data"));
        node.start();
        base = "http://127.0.0.1:" + node.port();
    }

    @AfterAll
    static void stop() {
        node.close();
        node.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String... headers) {
        return sendTo(base, method, path, body, headers);
    }

    /** A us-east node of the configuration {@code yaml}, started, its data in {@code data}; other API tests start theirs so. */
    static RegionNode started(Path data, String yaml) {
        RegionNode n = RegionNode.create(ConfigLoader.parse("test.yaml", yaml), "us-east", data);
        n.start();
        return n;
    }

    /** A request to the node at {@code nodeBase}; other API tests of one node use it too. */
    static HttpResponse<String> sendTo(String nodeBase, String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(nodeBase + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        try {
            try {
                return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                // A 413 closes its connection (the body is not drained); the client may have picked
                // that connection from its pool just before it closed. Once more, on a new one.
                return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    /** Asserts a problem document of the given status and type slug, and returns it. */
    static JsonNode problem(HttpResponse<String> r, int status, String slug) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(r.headers().firstValue("Meridian-Region")).contains("us-east");
        JsonNode p = json(r);
        assertThat(p.path("type").asText()).isEqualTo("urn:meridian:problem:" + slug);
        assertThat(p.path("status").asInt()).isEqualTo(status);
        assertThat(p.path("region").asText()).isEqualTo("us-east");
        assertThat(p.path("detail").asText()).isNotBlank();
        return p;
    }

    @Test
    void aValueIsStoredWithItsContentTypeAndVersion() {
        HttpResponse<String> put = send("PUT", "/v1/kv/cache/greeting", "hello", "Content-Type", "text/plain; charset=utf-8");
        assertThat(put.statusCode()).isEqualTo(201);
        String etag = put.headers().firstValue("ETag").orElseThrow();
        assertThat(json(put).path("version").asText()).isEqualTo(etag.replace("\"", ""));

        HttpResponse<String> get = send("GET", "/v1/kv/cache/greeting", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello");
        assertThat(get.headers().firstValue("Content-Type")).contains("text/plain; charset=utf-8");
        assertThat(get.headers().firstValue("ETag")).contains(etag);
        assertThat(get.headers().firstValue("Meridian-Region")).contains("us-east");
        assertThat(get.headers().firstValue("Meridian-Staleness-Ms")).as("a local keyspace's only copy").contains("0");

        HttpResponse<String> replace = send("PUT", "/v1/kv/cache/greeting", "hi");
        assertThat(replace.statusCode()).isEqualTo(200);
        assertThat(replace.headers().firstValue("ETag")).isNotEqualTo(etag);
    }

    @Test
    void aValueWithoutContentTypeIsOctetStream() {
        send("PUT", "/v1/kv/cache/raw", "x", "Content-Type", "");
        assertThat(send("GET", "/v1/kv/cache/raw", null).headers().firstValue("Content-Type")).contains("application/octet-stream");
    }

    @Test
    void keysMayHoldSlashesAndAnyUtf8() {
        assertThat(send("PUT", "/v1/kv/cache/a%2Fb/c%20%C3%A9", "v").statusCode()).isEqualTo(201);
        HttpResponse<String> scan = send("GET", "/v1/kv/cache?prefix=a%2F", null);
        assertThat(json(scan).path("items").get(0).path("key").asText()).isEqualTo("a/b/c é");
    }

    @Test
    void headAnswersHeadersWithoutBody() {
        send("PUT", "/v1/kv/cache/head", "body");
        HttpResponse<String> head = send("HEAD", "/v1/kv/cache/head", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("ETag")).isPresent();
    }

    /**
     * HEAD is GET without the body, everywhere a GET is answered: the same status and the same
     * headers (a problem document's among them), and the body's length where the body does not
     * change between two asks.
     */
    @Test
    void headAnswersWhatGetWouldWithoutTheBody() {
        send("PUT", "/v1/kv/cache/head-like-get", "some value", "Content-Type", "text/plain");
        List<String> steady = List.of("/v1/kv/cache/head-like-get", "/v1/kv/cache/no-such-key", "/v1/kv/no-such-keyspace/k",
                "/v1/kv/cache?prefix=head-", "/v1/no-such-thing", "/v1/kv/cache/%C3%28", "/console/");
        List<String> changing = List.of("/v1/health", "/v1/health/ready", "/v1/cluster", "/v1/status", "/metrics",
                "/v1/cost", "/v1/exposure", "/v1/failovers");
        for (String path : concat(steady, changing)) {
            HttpResponse<String> get = send("GET", path, null);
            HttpResponse<String> head = send("HEAD", path, null);
            assertThat(head.statusCode()).as("HEAD %s", path).isEqualTo(get.statusCode());
            assertThat(head.body()).as("HEAD %s", path).isEmpty();
            for (String name : List.of("Content-Type", "Meridian-Region", "ETag", "Last-Modified", "Allow")) {
                assertThat(head.headers().firstValue(name)).as("HEAD %s: %s", path, name).isEqualTo(get.headers().firstValue(name));
            }
            if (steady.contains(path)) {
                assertThat(head.headers().firstValue("Content-Length")).as("HEAD %s", path)
                        .contains(String.valueOf(get.body().getBytes(StandardCharsets.UTF_8).length));
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    @Test
    void deleteRemovesTheKey() {
        send("PUT", "/v1/kv/cache/gone", "x");
        assertThat(send("DELETE", "/v1/kv/cache/gone", null).statusCode()).isEqualTo(204);
        problem(send("GET", "/v1/kv/cache/gone", null), 404, "key-not-found");
        problem(send("DELETE", "/v1/kv/cache/gone", null), 404, "key-not-found");
    }

    @Test
    void ifMatchAndIfNoneMatchMakeWritesConditional() {
        String etag = send("PUT", "/v1/kv/cache/cas", "1").headers().firstValue("ETag").orElseThrow();
        JsonNode failed = problem(send("PUT", "/v1/kv/cache/cas", "2", "If-Match", "\"999999\""), 412, "precondition-failed");
        assertThat(failed.path("current_version").asText()).isEqualTo(etag.replace("\"", ""));
        assertThat(send("PUT", "/v1/kv/cache/cas", "2", "If-Match", etag).statusCode()).isEqualTo(200);
        problem(send("PUT", "/v1/kv/cache/cas", "3", "If-None-Match", "*"), 412, "precondition-failed");
        assertThat(send("PUT", "/v1/kv/cache/cas-new", "1", "If-None-Match", "*").statusCode()).isEqualTo(201);
        problem(send("DELETE", "/v1/kv/cache/cas", null, "If-Match", etag), 412, "precondition-failed");
        assertThat(send("GET", "/v1/kv/cache/cas", null).body()).isEqualTo("2");
    }

    @Test
    void aGetWithTheCurrentEtagIsNotModified() {
        String etag = send("PUT", "/v1/kv/cache/cached", "v").headers().firstValue("ETag").orElseThrow();
        assertThat(send("GET", "/v1/kv/cache/cached", null, "If-None-Match", etag).statusCode()).isEqualTo(304);
    }

    @Test
    void scansPageThroughKeysInOrder() {
        for (int i = 0; i < 5; i++) {
            send("PUT", "/v1/kv/pages/p" + i, "v" + i);
        }
        JsonNode first = json(send("GET", "/v1/kv/pages?prefix=p&limit=3", null));
        assertThat(first.path("items")).hasSize(3);
        assertThat(first.path("items").get(0).path("value").asText()).isEqualTo("v0");
        assertThat(first.path("next").asText()).isEqualTo("p2");
        JsonNode second = json(send("GET", "/v1/kv/pages?prefix=p&limit=3&after=p2", null));
        assertThat(second.path("items")).extracting(JsonNode::toString).hasSize(2);
        assertThat(second.path("next").isNull()).isTrue();
        assertThat(first.path("items").get(0).path("version").isTextual()).isTrue();
    }

    @Test
    void binaryValuesScanAsBase64() {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/kv/pages/bin"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, 0})).build();
        try {
            HTTP.send(req, HttpResponse.BodyHandlers.discarding());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
        JsonNode item = json(send("GET", "/v1/kv/pages?prefix=bin", null)).path("items").get(0);
        assertThat(item.has("value")).isFalse();
        assertThat(item.path("value_base64").asText()).isEqualTo("/wA=");
    }

    // --- bad input, one class per test ---

    @Test
    void anUnknownKeyspaceIs404NamingIt() {
        JsonNode p = problem(send("GET", "/v1/kv/nope/k", null), 404, "unknown-keyspace");
        assertThat(p.path("detail").asText()).contains("'nope'").contains("keyspaces: cache, pages");
        problem(send("PUT", "/v1/kv/nope/k", "v"), 404, "unknown-keyspace");
        problem(send("GET", "/v1/kv/nope", null), 404, "unknown-keyspace");
    }

    @Test
    void aMissingKeyIs404() {
        problem(send("GET", "/v1/kv/cache/never-written", null), 404, "key-not-found");
    }

    @Test
    void emptyOverlongAndNonUtf8KeysAre400() {
        problem(send("PUT", "/v1/kv/cache/", "v"), 400, "invalid-key");
        JsonNode tooLong = problem(send("PUT", "/v1/kv/cache/" + "k".repeat(1025), "v"), 400, "invalid-key");
        assertThat(tooLong.path("detail").asText()).contains("1025 bytes");
        problem(send("PUT", "/v1/kv/cache/%FF%FE", "v"), 400, "invalid-key");
    }

    @Test
    void aValueOverTheKeyspaceLimitIs413AndNothingIsStored() {
        JsonNode p = problem(send("PUT", "/v1/kv/cache/big", "x".repeat(1025)), 413, "value-too-large");
        assertThat(p.path("max_value_bytes").asLong()).isEqualTo(1024);
        problem(send("GET", "/v1/kv/cache/big", null), 404, "key-not-found");
        assertThat(send("PUT", "/v1/kv/cache/big", "x".repeat(1024)).statusCode()).isEqualTo(201);
    }

    @Test
    void aChunkedValueOverTheLimitIs413Too() throws Exception {
        byte[] big = new byte[4096];
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/kv/cache/chunked"))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        problem(r, 413, "value-too-large");
    }

    @Test
    void malformedHeaderValuesAre400NamingTheHeader() {
        JsonNode p = problem(send("PUT", "/v1/kv/cache/h", "v", "If-Match", "42"), 400, "malformed-header");
        assertThat(p.path("header").asText()).isEqualTo("If-Match");
        problem(send("PUT", "/v1/kv/cache/h", "v", "If-None-Match", "nope"), 400, "malformed-header");
        problem(send("PUT", "/v1/kv/cache/h", "v", "Content-Type", "not a type"), 400, "malformed-header");
        problem(send("GET", "/v1/kv/cache/h", null, "If-None-Match", "\"1"), 400, "malformed-header");
    }

    @Test
    void badScanParametersAre400() {
        problem(send("GET", "/v1/kv/cache?limit=0", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/kv/cache?limit=lots", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/kv/cache?colour=red", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/kv/cache?prefix=%FF", null), 400, "invalid-parameter");
    }

    @Test
    void aWrongMethodIs405WithAllow() {
        HttpResponse<String> r = send("POST", "/v1/kv/cache/k", "v");
        problem(r, 405, "method-not-allowed");
        assertThat(r.headers().firstValue("Allow")).contains("GET, HEAD, PUT, DELETE");
        problem(send("PUT", "/v1/kv/cache", "v"), 405, "method-not-allowed");
        problem(send("DELETE", "/v1/health", null), 405, "method-not-allowed");
    }

    @Test
    void anUnknownPathIs404() {
        problem(send("GET", "/v2/anything", null), 404, "not-found");
    }

    @Test
    void badInputLosesNothingAndTheNodeKeepsServing() {
        send("PUT", "/v1/kv/cache/survivor", "still here");
        send("PUT", "/v1/kv/cache/survivor", "x".repeat(5000));
        send("PUT", "/v1/kv/cache/survivor", "y", "If-Match", "bogus");
        send("PUT", "/v1/kv/cache/%FF", "z");
        assertThat(send("GET", "/v1/kv/cache/survivor", null).body()).isEqualTo("still here");
    }

    // --- health, cluster, metrics ---

    @Test
    void healthAndReadinessAnswer() {
        assertThat(json(send("GET", "/v1/health", null)).path("status").asText()).isEqualTo("alive");
        HttpResponse<String> ready = send("GET", "/v1/health/ready", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).path("status").asText()).isEqualTo("ready");
        assertThat(json(ready).path("storage_writable").asBoolean()).isTrue();
    }

    @Test
    void theClusterViewListsRegionsAndKeyspacesWithPolicies() {
        JsonNode cluster = json(send("GET", "/v1/cluster", null));
        assertThat(cluster.path("region").asText()).isEqualTo("us-east");
        assertThat(cluster.path("keyspaces").get(0).path("policy").asText()).isEqualTo("local");
        assertThat(cluster.path("keyspaces").get(0).path("max_value_bytes").asLong()).isEqualTo(1024);
        assertThat(cluster.path("peers")).isEmpty();
    }

    @Test
    void metricsCountRequestsPerKeyspaceAndOperation() {
        send("PUT", "/v1/kv/pages/metric", "v");
        send("GET", "/v1/kv/pages/metric", null);
        send("PUT", "/v1/kv/pages/metric", "w", "If-None-Match", "*"); // answered after the writer's group, as a 412
        String metrics = send("GET", "/metrics", null).body();
        assertThat(metrics)
                .contains("meridian_requests_seconds_bucket{keyspace=\"pages\",operation=\"put\",region=\"us-east\",status=\"201\"")
                .contains("meridian_requests_seconds_count{keyspace=\"pages\",operation=\"put\",region=\"us-east\",status=\"412\"} 1")
                .contains("meridian_requests_seconds_count{keyspace=\"pages\",operation=\"get\",region=\"us-east\",status=\"200\"}")
                .contains("meridian_storage_keys{keyspace=\"pages\",region=\"us-east\"}");
    }

    @Test
    void problemDocumentsOfTheHttpLayerAreProblemsToo() {
        HttpResponse<String> r = send("GET", "/v1/kv/cache/k", null, "X-Big", "x".repeat(20_000));
        assertThat(r.statusCode()).isEqualTo(431);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(json(r).path("type").asText()).isEqualTo("urn:meridian:problem:headers-too-large");
        assertThat(send("GET", "/v1/health", null).statusCode()).isEqualTo(200);
    }

    /** What a node answers to raw bytes: the whole response, headers and body, until it closes. */
    private static String raw(String request) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", node.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Found by fuzzing: refusals Jetty makes before any handler runs answered PUTs with an empty body. */
    @Test
    void requestsRefusedBeforeAnyHandlerRunsStillGetAProblemDocument() throws IOException {
        String expect = raw("PUT /v1/kv/cache/k HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 1\r\n\r\nx");
        assertThat(expect).startsWith("HTTP/1.1 417").contains("Content-Type: application/problem+json")
                .contains("Meridian-Region: us-east").contains("\"status\":417").contains("urn:meridian:problem:malformed-request");
        String chunkedAndLength = raw("PUT /v1/kv/cache/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                + "Content-Length: 1\r\n\r\nx");
        assertThat(chunkedAndLength).startsWith("HTTP/1.1 400").contains("application/problem+json").contains("\"status\":400");
        // Found by the HTTP fuzz test: Jetty closes the connection after refusing a request line (here an encoded
        // NUL); the answer must say so, or a client sends its next request on the connection and gets nothing.
        String nul = raw("GET /v1/kv/cache/a%00 HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(nul).startsWith("HTTP/1.1 400").contains("Connection: close").contains("encoded NUL");
        String version = raw("GET /v1/health HTTP/3.0\r\nHost: x\r\n\r\n");
        assertThat(version).startsWith("HTTP/1.1 505").contains("application/problem+json").contains("Meridian-Region: us-east")
                .contains("urn:meridian:problem:http-version-not-supported");
    }
}
