package io.meridian.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.meridian.tls.CertificateAuthority;
import io.meridian.tls.Identity;
import io.meridian.tls.TlsFiles;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's own reading of a `meridian certs` directory, against a server that requires a client certificate. */
class ClientCertificatesTest {
    @TempDir
    Path dir;

    @Test
    void theDeploymentsCaIsTrustedAndTheClientsCertificateShown() throws Exception {
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.create(now, Duration.ofDays(30));
        ca.save(dir);
        CertificateAuthority.save(ca.issue(Identity.region("us-east"), List.of("127.0.0.1"), now.minusSeconds(60), now.plusSeconds(3600)), dir);
        CertificateAuthority.save(ca.issue(Identity.client("lab"), List.of(), now.minusSeconds(60), now.plusSeconds(3600)), dir);

        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(TlsFiles.of(dir, Identity.region("us-east")).context(id -> true)) {
            @Override
            public void configure(HttpsParameters params) {
                params.setNeedClientAuth(true);
            }
        });
        server.createContext("/", ex -> {
            X509Certificate shown = (X509Certificate) ((HttpsExchange) ex).getSSLSession().getPeerCertificates()[0];
            byte[] body = Identity.of(shown).map(String::valueOf).orElse("nobody").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            HttpClient http = HttpClient.newBuilder().sslContext(ClientCertificates.context(dir, "lab")).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).isEqualTo("client lab");
            http.close();
        } finally {
            server.stop(0);
        }

        assertThatThrownBy(() -> MeridianClient.certificates(dir, "nobody")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("client.nobody.crt");
        Files.writeString(dir.resolve("client.lab.key"), "not a key");
        assertThatThrownBy(() -> ClientCertificates.context(dir, "lab")).hasMessageContaining("no unencrypted PKCS#8 key");
    }
}
