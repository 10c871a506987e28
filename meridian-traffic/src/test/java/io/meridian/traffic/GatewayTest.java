package io.meridian.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two regions' gateways in front of real HTTP service instances, on real sockets. */
class GatewayTest {
    private static final Duration CHECKS = Duration.ofMillis(100);

    /** One instance of the user's service: answers its name; its health check and its answers can be made to fail. */
    static final class Instance implements AutoCloseable {
        final String name;
        final HttpServer server;
        volatile int healthStatus = 200;
        volatile int status = 200;
        final AtomicInteger served = new AtomicInteger();

        Instance(String name) throws IOException {
            this.name = name;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/health", ex -> {
                ex.sendResponseHeaders(healthStatus, -1);
                ex.close();
            });
            server.createContext("/", ex -> {
                served.incrementAndGet();
                byte[] body = (name + " " + ex.getRequestURI() + " session=" + ex.getRequestHeaders().getFirst("Meridian-Session"))
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Meridian-Session", "us-east=1");
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private Instance instance(String name) throws IOException {
        Instance i = new Instance(name);
        open.add(i);
        return i;
    }

    /** Two gateways, us-east and eu-west, each with its instances and the other as its peer. */
    private Map<String, Gateway> gateways(List<Instance> east, List<Instance> west) throws Exception {
        int[] ports = io.meridian.core.config.LoopbackPorts.free(2);
        Map<String, Gateway> out = new LinkedHashMap<>();
        out.put("us-east", gateway("us-east", ports[0], east, Map.of("eu-west", URI.create("http://127.0.0.1:" + ports[1]))));
        out.put("eu-west", gateway("eu-west", ports[1], west, Map.of("us-east", URI.create("http://127.0.0.1:" + ports[0]))));
        return out;
    }

    private Gateway gateway(String region, int port, List<Instance> instances, Map<String, URI> peers) throws Exception {
        Gateway g = new Gateway(new Gateway.Settings(region, "127.0.0.1", port, instances.stream().map(Instance::url).toList(),
                peers, "/health", CHECKS, Duration.ofSeconds(1)));
        g.start();
        open.add(g);
        return g;
    }

    private HttpResponse<String> get(Gateway g, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path)).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cookie(HttpResponse<?> r) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("meridian-region=")).findFirst()
                .map(c -> c.substring("meridian-region=".length(), c.indexOf(';'))).orElse(null);
    }

    @Test
    void localInstancesShareTheRequestsAndAnswersSayTheirRegionAndPassTheSessionThrough() throws Exception {
        Instance a = instance("a");
        Instance b = instance("b");
        Map<String, Gateway> g = gateways(List.of(a, b), List.of(instance("w")));
        Map<String, Integer> byInstance = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = get(g.get("us-east"), "/page?x=" + i, "Meridian-Session", "eu-west=4");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).endsWith("/page?x=" + i + " session=eu-west=4");
            assertThat(r.headers().firstValue("Meridian-Region")).contains("us-east");
            assertThat(r.headers().firstValue("Meridian-Session")).contains("us-east=1");
            assertThat(cookie(r)).isEqualTo("us-east");
            byInstance.merge(r.body().substring(0, 1), 1, Integer::sum);
        }
        assertThat(byInstance).containsEntry("a", 5).containsEntry("b", 5);
        HttpResponse<String> health = get(g.get("us-east"), Gateway.HEALTH_PATH);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"serving\":true").contains("\"eu-west\":true");
    }

    @Test
    void anInstanceFailingItsChecksLeavesAndComesBackAndOneFailingRequestsIsEjected() throws Exception {
        Instance a = instance("a");
        Instance b = instance("b");
        Map<String, Gateway> g = gateways(List.of(a, b), List.of(instance("w")));
        Gateway east = g.get("us-east");
        b.healthStatus = 500;
        await().atMost(Duration.ofSeconds(10)).until(() -> get(east, Gateway.HEALTH_PATH).body().contains("\"available\":false"));
        int before = b.served.get();
        for (int i = 0; i < 10; i++) {
            assertThat(get(east, "/").body()).startsWith("a ");
        }
        assertThat(b.served.get()).isEqualTo(before);
        b.healthStatus = 200;
        await().atMost(Duration.ofSeconds(10)).until(() -> !get(east, Gateway.HEALTH_PATH).body().contains("\"available\":false"));
        // Passing its checks but failing its requests: ejected after three in a row, and its 5xx reach the client meanwhile.
        b.status = 502;
        int failed = 0;
        for (int i = 0; i < 20; i++) {
            if (get(east, "/").statusCode() == 502) {
                failed++;
            }
        }
        assertThat(failed).isEqualTo(3);
        assertThat(get(east, Gateway.HEALTH_PATH).body()).contains("\"ejected\":true").contains("answered 502");
    }

    @Test
    void withEveryLocalInstanceDownTheNearestHealthyRegionServesAndTheUserIsRepinnedWhenItsRegionFails() throws Exception {
        Instance a = instance("a");
        Instance w = instance("w");
        Map<String, Gateway> g = gateways(List.of(a), List.of(w));
        Gateway east = g.get("us-east");
        // Pinned to eu-west: served there while it is healthy, though us-east could serve.
        HttpResponse<String> pinned = get(east, "/", "Cookie", "meridian-region=eu-west");
        assertThat(pinned.body()).startsWith("w ");
        assertThat(pinned.headers().firstValue("Meridian-Region")).contains("eu-west");
        assertThat(cookie(pinned)).isNull();
        // eu-west's instance fails: the user is re-pinned to us-east.
        w.healthStatus = 503;
        await().atMost(Duration.ofSeconds(10)).until(() -> get(east, "/", "Cookie", "meridian-region=eu-west").body().startsWith("a "));
        HttpResponse<String> repinned = get(east, "/", "Cookie", "meridian-region=eu-west");
        assertThat(cookie(repinned)).isEqualTo("us-east");
        assertThat(repinned.headers().firstValue("Meridian-Region")).contains("us-east");
        // Back; then us-east's own instance goes: us-east's gateway forwards to eu-west.
        w.healthStatus = 200;
        a.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> get(east, "/").statusCode() == 200 && get(east, "/").body().startsWith("w "));
        HttpResponse<String> away = get(east, "/");
        assertThat(away.headers().firstValue("Meridian-Region")).contains("eu-west");
        assertThat(cookie(away)).isEqualTo("eu-west");
    }

    @Test
    void aRequestThatCrossedARegionGoesNoFurtherAndNoInstanceAnywhereIsA503() throws Exception {
        Instance a = instance("a");
        Instance w = instance("w");
        Map<String, Gateway> g = gateways(List.of(a), List.of(w));
        a.healthStatus = 503;
        w.healthStatus = 503;
        Gateway east = g.get("us-east");
        Gateway west = g.get("eu-west");
        // Until each gateway has seen the other's go unhealthy, a 503 may be the other's, forwarded.
        await().atMost(Duration.ofSeconds(10)).until(() -> get(east, Gateway.HEALTH_PATH).body().contains("\"eu-west\":false")
                && get(west, Gateway.HEALTH_PATH).body().contains("\"us-east\":false"));
        HttpResponse<String> r = get(east, "/");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(r.headers().firstValue("Retry-After")).contains("1");
        assertThat(r.body()).contains("urn:meridian:problem:unavailable").contains("no other region");
        int servedBefore = w.served.get();
        HttpResponse<String> crossed = get(west, "/", "Meridian-Gateway-From", "us-east");
        assertThat(crossed.statusCode()).isEqualTo(503);
        assertThat(crossed.body()).contains("already forwarded here by us-east");
        assertThat(w.served.get()).isEqualTo(servedBefore);
        // eu-west's instance recovers: a crossed request is served there, and not sent back.
        w.healthStatus = 200;
        await().atMost(Duration.ofSeconds(10)).until(() -> get(west, "/", "Meridian-Gateway-From", "us-east").statusCode() == 200);
        assertThat(get(west, "/", "Meridian-Gateway-From", "us-east").body()).startsWith("w ");
    }
}
