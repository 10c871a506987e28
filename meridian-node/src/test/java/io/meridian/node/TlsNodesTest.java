package io.meridian.node;

import static io.meridian.node.TestNodes.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.meridian.tls.Identity;
import io.meridian.tls.TlsFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real nodes with {@code tls:} in their configuration: the API answers HTTPS only, replication
 * streams and Raft run over mutual TLS (writes of both kinds cross), and nothing without a
 * region's certificate passes for a region.
 */
class TlsNodesTest {
    @TempDir
    Path dir;

    @Test
    void regionsReplicateAndCommitOverMutualTlsAndOnlyARegionsCertificateSpeaksForIt() throws Exception {
        Path certs = dir.resolve("certs");
        TestNodes.certificates(certs, List.of(Identity.region("us-east"), Identity.region("eu-west"), Identity.region("mars"),
                Identity.client("ops")));

        int[] p = FreePorts.take(6);
        MeridianConfig config = ConfigLoader.parse("t.yaml", TestNodes.twoRegions(p) + """
                keyspaces:
                  - {name: sessions, policy: multi-master}
                  - {name: accounts, policy: strong}
                canary: {interval-ms: 0}
                tls: {dir: certs}
                """).resolvedAgainst(dir);
        assertThat(config.tls().orElseThrow().dir()).isEqualTo(certs);

        SSLContext anonymous = TlsFiles.trustOnly(certs).context(id -> id.kind() == Identity.Kind.REGION);
        SSLContext ops = TlsFiles.of(certs, Identity.client("ops")).context(id -> id.kind() == Identity.Kind.REGION);
        SSLContext mars = TlsFiles.of(certs, Identity.region("mars")).context(id -> true);
        String e = "https://127.0.0.1:" + p[0];
        String w = "https://127.0.0.1:" + p[3];
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"));
             HttpClient client = HttpClient.newBuilder().sslContext(anonymous).build();
             HttpClient asOps = HttpClient.newBuilder().sslContext(ops).version(HttpClient.Version.HTTP_1_1).build();
             HttpClient asMars = HttpClient.newBuilder().sslContext(mars).version(HttpClient.Version.HTTP_1_1).build();
             HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            TestNodes.startTogether(east, west);

            // An asynchronous write crosses on the replication stream; a strong one commits through Raft.
            assertThat(send(client, HttpRequest.newBuilder(URI.create(w + "/v1/kv/sessions/s1"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"cart\":3}"))).statusCode()).isEqualTo(201);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(send(client,
                    HttpRequest.newBuilder(URI.create(e + "/v1/kv/sessions/s1")).GET()).body()).contains("\"cart\":3"));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(send(client,
                    HttpRequest.newBuilder(URI.create(e + "/v1/kv/accounts/a1")).PUT(HttpRequest.BodyPublishers.ofString("{\"balance\":7}")))
                    .statusCode()).isIn(200, 201));
            assertThat(send(client, HttpRequest.newBuilder(URI.create(w + "/v1/kv/accounts/a1?consistency=strong")).GET()).body())
                    .contains("\"balance\":7");
            // The probes between them go over HTTPS with the regions' certificates: each sees the other.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(send(client,
                    HttpRequest.newBuilder(URI.create(e + "/v1/cluster")).GET()).body()).contains("\"url\":\"https://127.0.0.1:" + p[3]));
            assertThat(east.tls().on()).isTrue();
            // Its certificate expires within a day: readiness says so (degraded, still serving), and so does a metric.
            HttpResponse<String> ready = send(client, HttpRequest.newBuilder(URI.create(e + "/v1/health/ready")).GET());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"degraded\"").contains("this region's TLS certificate expires at");
            String metrics = send(client, HttpRequest.newBuilder(URI.create(e + "/metrics")).GET()).body();
            assertThat(metrics).containsPattern("meridian_tls_certificate_expiry_seconds\\{[^}]*\\} [0-9.E]+");
            // The shipped alert rules query only TLS series a node exports (LabIT checks the others on a plain lab).
            java.util.regex.Matcher queried = java.util.regex.Pattern.compile("meridian_tls_[a-z0-9_]+")
                    .matcher(Files.readString(Path.of("").toAbsolutePath().getParent().resolve("deploy/prometheus/alerts.yml")));
            int found = 0;
            while (queried.find()) {
                found++;
                assertThat(metrics).as("alerts.yml queries %s", queried.group()).contains(queried.group() + "{");
            }
            assertThat(found).isPositive();
            // A client that offers HTTP/2 gets it; one that asks for HTTP/1.1 (the regions' own) gets that.
            assertThat(send(client, HttpRequest.newBuilder(URI.create(e + "/v1/kv/sessions/s1")).GET()).version())
                    .isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(send(asOps, HttpRequest.newBuilder(URI.create(e + "/v1/kv/sessions/s1")).GET()).version())
                    .isEqualTo(HttpClient.Version.HTTP_1_1);

            // Plain HTTP gets nothing from the HTTPS port.
            assertThatThrownBy(() -> send(plain, HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p[0] + "/v1/health")).GET()))
                    .isInstanceOf(IOException.class);
            // A client's certificate is welcome; it does not speak for a region, nor does a region outside the deployment's.
            assertThat(send(asOps, HttpRequest.newBuilder(URI.create(e + "/v1/health")).GET()).statusCode()).isEqualTo(200);
            HttpResponse<String> posing = send(asOps, HttpRequest.newBuilder(URI.create(e + "/v1/kv/sessions/s1"))
                    .header("Meridian-Forwarded-By", "eu-west").GET());
            assertThat(posing.statusCode()).isEqualTo(403);
            assertThat(posing.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(posing.body()).contains("peer-not-authenticated");
            assertThat(send(client, HttpRequest.newBuilder(URI.create(e + "/v1/health")).header("Meridian-Region", "eu-west")
                    .header("Meridian-Lease", "request").GET()).statusCode()).isEqualTo(403);
            assertThatThrownBy(() -> send(asMars, HttpRequest.newBuilder(URI.create(e + "/v1/health")).GET()))
                    .as("a region certificate of a region not configured is refused in the handshake").isInstanceOf(IOException.class);

            // The replication and Raft ports take no connection without a configured region's certificate.
            for (int port : new int[] {p[1], p[2]}) {
                assertThat(handshakeAndRead(ops, port)).as("port %d with a client's certificate", port).isFalse();
                assertThat(handshakeAndRead(anonymous, port)).as("port %d without a certificate", port).isFalse();
            }
        }
        assertThat(Files.exists(certs.resolve("us-east.key"))).isTrue();
    }

    /** Whether a TLS connection with {@code context} to {@code port} stays open after its handshake (TLS 1.3 tells a refusal then). */
    private static boolean handshakeAndRead(SSLContext context, int port) {
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(3_000);
            s.startHandshake();
            s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return s.getInputStream().read() >= 0;
        } catch (java.net.SocketTimeoutException e) {
            return true; // open, and waiting for more
        } catch (IOException e) {
            return false;
        }
    }
}
