package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpLoadTest {
    private HttpServer server;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();

    private URI start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", ex -> {
            clientPorts.add(ex.getRemoteAddress().getPort());
            byte[] body = ex.getRequestBody().readAllBytes();
            received.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + ex.getRequestHeaders().getFirst("Content-Type")
                    + " " + new String(body, StandardCharsets.UTF_8));
            byte[] answer = "{\"version\":\"1\"}".getBytes(StandardCharsets.UTF_8);
            if (ex.getRequestURI().getPath().endsWith("/missing")) {
                ex.sendResponseHeaders(404, 0); // chunked
                ex.getResponseBody().write(answer);
            } else {
                ex.sendResponseHeaders(201, answer.length);
                ex.getResponseBody().write(answer);
            }
            ex.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void putsGoOutWholeAndOneConnectionCarriesThemOneAfterAnother() throws Exception {
        try (HttpLoad load = new HttpLoad(start())) {
            assertThat(load.put("/v1/kv/sessions/a", "{\"x\":1}".getBytes(StandardCharsets.UTF_8), "application/json"))
                    .isEqualTo(201);
            assertThat(load.put("/v1/kv/sessions/missing", new byte[0], "text/plain")).as("a chunked answer").isEqualTo(404);
            assertThat(load.put("/v1/kv/sessions/b", "é".getBytes(StandardCharsets.UTF_8), "text/plain")).isEqualTo(201);
        }
        assertThat(received).containsExactly("PUT /v1/kv/sessions/a application/json {\"x\":1}",
                "PUT /v1/kv/sessions/missing text/plain ", "PUT /v1/kv/sessions/b text/plain é");
        assertThat(clientPorts).as("kept alive").hasSize(1);
    }

    @Test
    void aServerThatIsNotThereIsAnErrorNotAStatus() throws Exception {
        URI gone = start();
        server.stop(0);
        server = null;
        try (HttpLoad load = new HttpLoad(gone)) {
            assertThatThrownBy(() -> load.put("/x", new byte[1], "text/plain")).isInstanceOf(IOException.class);
        }
    }

    @Test
    void anHttpsUrlIsReachedOverTlsCheckingTheServersCertificate(@org.junit.jupiter.api.io.TempDir java.nio.file.Path certs)
            throws Exception {
        java.time.Instant now = java.time.Instant.now();
        io.meridian.tls.CertificateAuthority ca = io.meridian.tls.CertificateAuthority.create(now, java.time.Duration.ofDays(1));
        ca.save(certs);
        io.meridian.tls.CertificateAuthority.save(ca.issue(io.meridian.tls.Identity.region("us-east"), List.of("127.0.0.1"),
                now.minusSeconds(60), now.plusSeconds(3600)), certs);
        javax.net.ssl.SSLContext serverSide = io.meridian.tls.TlsFiles.of(certs, io.meridian.tls.Identity.region("us-east"))
                .context(id -> true);
        com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(serverSide));
        https.createContext("/", ex -> {
            clientPorts.add(ex.getRemoteAddress().getPort());
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(201, -1);
            ex.close();
        });
        https.start();
        try {
            URI url = URI.create("https://127.0.0.1:" + https.getAddress().getPort());
            javax.net.ssl.SSLContext trusting = io.meridian.tls.TlsFiles.trustOnly(certs).context(id -> true);
            try (HttpLoad load = new HttpLoad(url, trusting)) {
                assertThat(load.put("/a", new byte[] {1}, "text/plain")).isEqualTo(201);
                assertThat(load.put("/b", new byte[] {2}, "text/plain")).isEqualTo(201);
            }
            assertThat(clientPorts).as("kept alive over TLS").hasSize(1);
            assertThatThrownBy(() -> new HttpLoad(url)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TLS context");
            javax.net.ssl.SSLContext other = io.meridian.tls.TlsFiles.trustOnly(otherAuthority(certs.resolve("other")))
                    .context(id -> true);
            try (HttpLoad load = new HttpLoad(url, other)) {
                assertThatThrownBy(() -> load.put("/c", new byte[1], "text/plain")).as("a server of another CA").isInstanceOf(IOException.class);
            }
        } finally {
            https.stop(0);
        }
    }

    private static java.nio.file.Path otherAuthority(java.nio.file.Path dir) throws IOException {
        io.meridian.tls.CertificateAuthority.create(java.time.Instant.now(), java.time.Duration.ofDays(1)).save(dir);
        return dir;
    }
}
