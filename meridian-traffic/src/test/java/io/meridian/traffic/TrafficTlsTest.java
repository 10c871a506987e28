package io.meridian.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.meridian.tls.CertificateAuthority;
import io.meridian.tls.Identity;
import io.meridian.tls.PemKeyPair;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateways and edges serving HTTPS and forwarding over HTTPS to instances, peers and origins
 * that must prove themselves with certificates of the CA they trust; on real sockets.
 */
class TrafficTlsTest {
    private static final Duration CHECKS = Duration.ofMillis(100);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private CertificateAuthority ca;
    private SSLContext trustCa;
    private HttpClient client;

    @BeforeEach
    void certificates() throws Exception {
        Instant now = Instant.now();
        ca = CertificateAuthority.create(now, Duration.ofDays(30));
        ca.save(dir);
        for (String region : List.of("us-east", "eu-west", "instance")) {
            CertificateAuthority.save(ca.issue(Identity.region(region), List.of("127.0.0.1", "localhost"), now.minusSeconds(60),
                    now.plus(Duration.ofDays(1))), dir);
        }
        trustCa = PemKeyPair.context(null, PemKeyPair.trustAnchors(dir.resolve(CertificateAuthority.CERT_FILE)));
        client = HttpClient.newBuilder().sslContext(trustCa).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        client.close();
    }

    private SSLContext serving(String name) throws Exception {
        Identity id = Identity.region(name);
        return PemKeyPair.context(PemKeyPair.of(CertificateAuthority.certFile(dir, id), CertificateAuthority.keyFile(dir, id)).keyManager(),
                null);
    }

    /** An HTTPS instance of the user's service: answers its name, its health check can be made to fail. */
    private final class Instance implements AutoCloseable {
        final HttpsServer server;
        volatile int health = 200;

        Instance(String name) throws Exception {
            server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(serving("instance")));
            server.createContext("/health", ex -> {
                ex.sendResponseHeaders(health, -1);
                ex.close();
            });
            server.createContext("/", ex -> {
                byte[] body = (name + " " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Cache-Control", "public, max-age=60");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            server.start();
            open.add(this);
        }

        URI url() {
            return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static int[] freePorts(int n) {
        return io.meridian.core.config.LoopbackPorts.free(n);
    }

    private Gateway gateway(String region, int port, Instance instance, Map<String, URI> peers, SSLContext dial) throws Exception {
        Gateway g = new Gateway(new Gateway.Settings(region, "127.0.0.1", port, List.of(instance.url()), peers, "/health", CHECKS,
                Duration.ofSeconds(2), new TrafficTls(serving(region), dial)));
        g.start();
        open.add(g);
        return g;
    }

    private HttpResponse<String> get(URI url) throws Exception {
        return client.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI https(int port, String path) {
        return URI.create("https://127.0.0.1:" + port + path);
    }

    @Test
    void gatewaysServeHttpsAndForwardToHttpsInstancesAndPeersOfTheirCa() throws Exception {
        Instance east = new Instance("east");
        Instance west = new Instance("west");
        int[] ports = freePorts(2);
        Gateway e = gateway("us-east", ports[0], east, Map.of("eu-west", https(ports[1], "")), trustCa);
        gateway("eu-west", ports[1], west, Map.of("us-east", https(ports[0], "")), trustCa);

        await().atMost(Duration.ofSeconds(10)).until(() -> get(https(e.port(), Gateway.HEALTH_PATH)).statusCode() == 200);
        HttpResponse<String> r = get(https(e.port(), "/page"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("east /page");
        assertThat(r.version()).as("HTTP/2 offered over TLS").isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(get(https(e.port(), Gateway.HEALTH_PATH)).body()).contains("\"eu-west\":true");

        // us-east's instance fails its checks: its gateway forwards to eu-west's, over HTTPS.
        east.health = 503;
        await().atMost(Duration.ofSeconds(10)).until(() -> get(https(e.port(), "/page")).body().startsWith("west "));
        assertThat(get(https(e.port(), "/page")).headers().firstValue("Meridian-Region")).contains("eu-west");

        // Plain HTTP is not served on an HTTPS listener.
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.port() + "/page"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class);
        plain.close();
    }

    @Test
    void aGatewayTrustingAnotherCaRefusesTheInstanceAndSaysWhy() throws Exception {
        Instance east = new Instance("east");
        CertificateAuthority other = CertificateAuthority.create(Instant.now(), Duration.ofDays(30));
        Path otherDir = dir.resolve("other");
        other.save(otherDir);
        SSLContext trustOther = PemKeyPair.context(null, PemKeyPair.trustAnchors(otherDir.resolve(CertificateAuthority.CERT_FILE)));
        Gateway g = gateway("us-east", 0, east, Map.of(), trustOther);

        await().atMost(Duration.ofSeconds(10)).until(() -> get(https(g.port(), Gateway.HEALTH_PATH)).statusCode() == 503);
        assertThat(get(https(g.port(), Gateway.HEALTH_PATH)).body()).contains("check failed").containsIgnoringCase("certificat");
        assertThat(get(https(g.port(), "/page")).statusCode()).isEqualTo(503);
    }

    @Test
    void edgesServeHttpsCacheFromAnHttpsOriginAndPurgeEveryRegionOverHttps() throws Exception {
        Instance origin = new Instance("origin");
        int[] ports = freePorts(2);
        TrafficTls east = new TrafficTls(serving("us-east"), trustCa);
        Edge a = new Edge(new Edge.Settings("us-east", "127.0.0.1", ports[0], Map.of("us-east", origin.url()),
                Map.of("eu-west", https(ports[1], "")), 100, 1 << 20, Duration.ofSeconds(5), east));
        Edge b = new Edge(new Edge.Settings("eu-west", "127.0.0.1", ports[1], Map.of("us-east", origin.url()),
                Map.of("us-east", https(ports[0], "")), 100, 1 << 20, Duration.ofSeconds(5), new TrafficTls(serving("eu-west"), trustCa)));
        a.start();
        open.add(a);
        b.start();
        open.add(b);

        HttpResponse<String> first = get(https(a.port(), "/static/app.js"));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("origin /static/app.js");
        assertThat(first.headers().firstValue(Edge.CACHE_HEADER)).contains("MISS");
        assertThat(get(https(a.port(), "/static/app.js")).headers().firstValue(Edge.CACHE_HEADER)).contains("HIT");
        get(https(b.port(), "/static/app.js"));

        HttpResponse<String> purge = client.send(HttpRequest.newBuilder(https(a.port(), Edge.PURGE_PATH)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"paths\": [\"/static/*\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(purge.statusCode()).as(purge.body()).isEqualTo(200);
        assertThat(purge.body()).contains("\"all_confirmed\":true").contains("\"eu-west\":{\"confirmed\":true,\"entries\":1");
        assertThat(get(https(a.port(), "/static/app.js")).headers().firstValue(Edge.CACHE_HEADER)).contains("MISS");
    }
}
