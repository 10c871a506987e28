package io.meridian.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Edges of two regions in front of real origin servers, on real sockets. */
class EdgeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> open = new ArrayList<>();
    private HttpServer origin;
    /** Requests the origin received, per path, and the If-None-Match headers it saw. */
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final List<String> conditionals = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile boolean failing;

    @BeforeEach
    void origin() throws IOException {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            String inm = exchange.getRequestHeaders().getFirst("If-None-Match");
            if (inm != null) {
                conditionals.add(path + " " + inm);
            }
            if (failing) {
                exchange.sendResponseHeaders(500, -1);
                exchange.close();
                return;
            }
            String cacheControl = switch (path) {
                case "/app.js", "/a", "/b", "/c" -> "public, max-age=60";
                case "/data.json" -> "no-cache";
                case "/logo.png" -> "public, max-age=1, stale-if-error=60";
                case "/news.json" -> "public, max-age=1, stale-while-revalidate=60";
                case "/big.bin" -> "public, max-age=60";
                case "/private" -> "private, max-age=60";
                default -> "no-store";
            };
            byte[] body = path.equals("/big.bin") ? new byte[2 << 20]
                    : ("body of " + path + (path.equals("/news.json") ? " #" + hits.get(path).get() : "")).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Cache-Control", cacheControl);
            // News changes at every request (a new validator each time); everything else stays "v1".
            String etag = path.equals("/news.json") ? "\"n" + hits.get(path).get() + "\"" : "\"v1\"";
            exchange.getResponseHeaders().add("ETag", etag);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            if (etag.equals(inm)) {
                exchange.sendResponseHeaders(304, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        origin.start();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        origin.stop(0);
    }

    private URI originUrl() {
        return URI.create("http://127.0.0.1:" + origin.getAddress().getPort());
    }

    private Edge edge(String region, Map<String, URI> origins, Map<String, URI> peers, int maxEntries) throws Exception {
        Edge edge = new Edge(new Edge.Settings(region, "127.0.0.1", 0, origins, peers, maxEntries, 1 << 20, Duration.ofSeconds(2)));
        edge.start();
        open.add(edge);
        return edge;
    }

    private Edge edge(String region) throws Exception {
        return edge(region, Map.of(region, originUrl()), Map.of(), 100);
    }

    private HttpResponse<String> get(Edge edge, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> purge(Edge edge, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + Edge.PURGE_PATH))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cache(HttpResponse<?> r) {
        return r.headers().firstValue(Edge.CACHE_HEADER).orElse("");
    }

    @Test
    void aFreshResponseIsServedFromTheCacheAndNoStoreOrPrivateOnesNever() throws Exception {
        Edge edge = edge("us-east");
        HttpResponse<String> first = get(edge, "/app.js");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("body of /app.js");
        assertThat(cache(first)).isEqualTo("MISS");
        assertThat(first.headers().firstValue("Meridian-Region")).hasValue("us-east");
        HttpResponse<String> second = get(edge, "/app.js");
        assertThat(cache(second)).isEqualTo("HIT");
        assertThat(second.body()).isEqualTo("body of /app.js");
        assertThat(second.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(hits.get("/app.js").get()).isEqualTo(1);
        get(edge, "/nostore");
        get(edge, "/private");
        assertThat(cache(get(edge, "/nostore"))).isEqualTo("MISS");
        assertThat(cache(get(edge, "/private"))).as("a shared cache keeps no private answer").isEqualTo("MISS");
        assertThat(hits.get("/nostore").get()).isEqualTo(2);
        assertThat(hits.get("/private").get()).isEqualTo(2);
    }

    @Test
    void aResponseThatMustBeRevalidatedIsRevalidatedWithItsValidator() throws Exception {
        Edge edge = edge("us-east");
        assertThat(cache(get(edge, "/data.json"))).isEqualTo("MISS");
        HttpResponse<String> again = get(edge, "/data.json");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("body of /data.json");
        assertThat(cache(again)).isEqualTo("REVALIDATED");
        assertThat(conditionals).contains("/data.json \"v1\"");
    }

    @Test
    void aStaleResponseIsServedWhenTheOriginFailsWithinStaleIfError() throws Exception {
        Edge edge = edge("us-east");
        assertThat(get(edge, "/logo.png").statusCode()).isEqualTo(200);
        Thread.sleep(2_100); // past max-age=1
        failing = true;
        HttpResponse<String> stale = get(edge, "/logo.png");
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.body()).isEqualTo("body of /logo.png");
        // Without a cached answer the origin's error is the answer.
        assertThat(get(edge, "/other").statusCode()).isEqualTo(500);
        // The origin returns: the stale answer is revalidated (its validator still holds) and fresh again.
        failing = false;
        HttpResponse<String> back = get(edge, "/logo.png");
        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(cache(back)).isEqualTo("REVALIDATED");
        assertThat(conditionals).contains("/logo.png \"v1\"");
        Thread.sleep(1_100); // stale again
        failing = true;
        // An origin that cannot be reached at all is an error too.
        origin.stop(0);
        HttpResponse<String> unreachable = get(edge, "/logo.png");
        assertThat(unreachable.statusCode()).isEqualTo(200);
        assertThat(unreachable.body()).isEqualTo("body of /logo.png");
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0); // for close()
    }

    @Test
    void aStaleResponseIsServedWhileItIsRevalidatedInTheBackground() throws Exception {
        Edge edge = edge("us-east");
        assertThat(get(edge, "/news.json").body()).isEqualTo("body of /news.json #1");
        Thread.sleep(1_500); // past max-age=1, within stale-while-revalidate
        HttpResponse<String> stale = get(edge, "/news.json");
        assertThat(stale.body()).as("the stale answer, at once").isEqualTo("body of /news.json #1");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(hits.get("/news.json").get()).as("revalidated in the background").isEqualTo(2));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(get(edge, "/news.json").body()).isEqualTo("body of /news.json #2"));
    }

    @Test
    void anAnswerLargerThanTheBoundIsPassedThroughAndNotKept() throws Exception {
        Edge edge = edge("us-east"); // 1 MiB at most
        HttpResponse<byte[]> big = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/big.bin")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(big.body()).hasSize(2 << 20);
        assertThat(cache(get(edge, "/big.bin"))).isEqualTo("MISS");
        assertThat(hits.get("/big.bin").get()).isEqualTo(2);
    }

    @Test
    void anOriginThatCannotBeReachedIsFailedOverToTheNextRegionsOrigin() throws Exception {
        Map<String, URI> origins = new LinkedHashMap<>();
        origins.put("us-east", URI.create("http://127.0.0.1:" + freePort()));
        origins.put("eu-west", originUrl());
        Edge edge = edge("us-east", origins, Map.of(), 100);
        HttpResponse<String> r = get(edge, "/app.js");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue(Edge.ORIGIN_HEADER)).hasValue("eu-west");
        JsonNode health = JSON.readTree(get(edge, Edge.HEALTH_PATH).body());
        assertThat(health.path("origin_failovers").asLong()).isEqualTo(1);
        assertThat(health.path("origins").path("us-east").path("last_problem").asText()).isNotEmpty();
    }

    @Test
    void noOriginAnsweringIsA502Problem() throws Exception {
        Edge edge = edge("us-east", Map.of("us-east", URI.create("http://127.0.0.1:" + freePort())), Map.of(), 100);
        HttpResponse<String> r = get(edge, "/app.js");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("no origin answered");
    }

    @Test
    void aPurgeReachesEveryRegionsEdgeAndReportsWhoConfirmed() throws Exception {
        Edge eu = edge("eu-west");
        Edge us = edge("us-east", Map.of("us-east", originUrl()), Map.of("eu-west", URI.create("http://127.0.0.1:" + eu.port())), 100);
        for (Edge e : List.of(us, eu)) {
            get(e, "/app.js");
            get(e, "/a");
            assertThat(cache(get(e, "/app.js"))).isEqualTo("HIT");
        }
        HttpResponse<String> purged = purge(us, "{\"paths\": [\"/app.js\"]}");
        assertThat(purged.statusCode()).isEqualTo(200);
        JsonNode report = JSON.readTree(purged.body());
        assertThat(report.path("all_confirmed").asBoolean()).isTrue();
        assertThat(report.path("regions").path("us-east").path("entries").asInt()).isEqualTo(1);
        assertThat(report.path("regions").path("eu-west").path("confirmed").asBoolean()).isTrue();
        assertThat(report.path("regions").path("eu-west").path("entries").asInt()).isEqualTo(1);
        for (Edge e : List.of(us, eu)) {
            assertThat(cache(get(e, "/app.js"))).as("purged").isEqualTo("MISS");
            assertThat(cache(get(e, "/a"))).as("not purged").isEqualTo("HIT");
        }
        // A prefix purge.
        assertThat(JSON.readTree(purge(us, "{\"paths\": [\"/*\"]}").body()).path("regions").path("us-east").path("entries").asInt())
                .isEqualTo(2);
        // A peer that does not answer: reported, and the purge is a 502.
        Edge lonely = edge("ap-southeast", Map.of("ap-southeast", originUrl()),
                Map.of("eu-west", URI.create("http://127.0.0.1:" + freePort())), 100);
        HttpResponse<String> partial = purge(lonely, "{\"paths\": [\"/app.js\"]}");
        assertThat(partial.statusCode()).isEqualTo(502);
        assertThat(partial.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode p = JSON.readTree(partial.body());
        assertThat(p.path("all_confirmed").asBoolean()).isFalse();
        assertThat(p.path("regions").path("eu-west").path("error").asText()).isNotEmpty();
    }

    @Test
    void theCacheIsBoundedAndEvictsTheLeastRecentlyUsed() throws Exception {
        Edge edge = edge("us-east", Map.of("us-east", originUrl()), Map.of(), 2);
        get(edge, "/a");
        get(edge, "/b");
        assertThat(cache(get(edge, "/a"))).isEqualTo("HIT"); // /b is now the least recently used
        get(edge, "/c");
        assertThat(cache(get(edge, "/a"))).isEqualTo("HIT");
        assertThat(cache(get(edge, "/b"))).isEqualTo("MISS");
    }

    @Test
    void badRequestsAreRefusedWithProblems() throws Exception {
        Edge edge = edge("us-east");
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/app.js"))
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(put.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        for (String body : List.of("not json", "{}", "{\"paths\": [\"no-slash\"]}", "{\"paths\": [1]}")) {
            HttpResponse<String> r = purge(edge, body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
        assertThat(hits).isEmpty();
    }

    @Test
    void purgePatternsMatchPathsOfCacheKeys() {
        assertThat(Edge.purges("http://127.0.0.1:80/app.js", "/app.js")).isTrue();
        assertThat(Edge.purges("http://127.0.0.1:80/app.js?v=2", "/app.js")).isTrue();
        assertThat(Edge.purges("{accept-encoding=gzip}http://127.0.0.1:80/app.js", "/app.js")).isTrue();
        assertThat(Edge.purges("http://127.0.0.1:80/app.json", "/app.js")).isFalse();
        assertThat(Edge.purges("http://127.0.0.1:80/static/img/a.png", "/static/*")).isTrue();
        assertThat(Edge.purges("http://127.0.0.1:80/other/a.png", "/static/*")).isFalse();
    }

    private static int freePort() {
        return io.meridian.core.config.LoopbackPorts.free();
    }
}
