package io.meridian.node;

import static io.meridian.node.TestNodes.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.meridian.tls.Identity;
import io.meridian.tls.TlsFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real nodes with {@code auth: {tokens: required}}: nobody without a certificate or a token
 * gets past health checks; an administrator's certificate makes tokens through the control plane;
 * a token made in one region works in the other, does what its scopes say and nothing more, and
 * stops working everywhere once revoked.
 */
class AuthNodesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static HttpRequest.Builder as(String token, String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token);
    }

    private static void assertProblem(HttpResponse<String> r, int status, String type, String detail) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(r.body()).contains("urn:meridian:problem:" + type).contains(detail);
    }

    private static String create(HttpClient http, String url, String body) throws Exception {
        HttpResponse<String> r = send(http, HttpRequest.newBuilder(URI.create(url + "/v1/tokens"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode t = JSON.readTree(r.body());
        assertThat(r.headers().firstValue("Location")).contains("/v1/tokens/" + t.path("id").asText());
        return t.path("token").asText();
    }

    @Test
    void tokensMadeInOneRegionWorkInEveryRegionWithinTheirScopesUntilRevoked() throws Exception {
        Path certs = dir.resolve("certs");
        TestNodes.certificates(certs, List.of(Identity.region("us-east"), Identity.region("eu-west"), Identity.client("ops"),
                Identity.client("intern")));
        int[] p = FreePorts.take(6);
        MeridianConfig config = ConfigLoader.parse("t.yaml", TestNodes.twoRegions(p) + """
                keyspaces:
                  - {name: carts, policy: multi-master}
                  - {name: accounts, policy: strong}
                canary: {interval-ms: 0}
                tls: {dir: certs}
                auth: {tokens: required, admins: [ops]}
                """).resolvedAgainst(dir);

        SSLContext anonymous = TlsFiles.trustOnly(certs).context(id -> id.kind() == Identity.Kind.REGION);
        SSLContext opsCert = TlsFiles.of(certs, Identity.client("ops")).context(id -> id.kind() == Identity.Kind.REGION);
        SSLContext internCert = TlsFiles.of(certs, Identity.client("intern")).context(id -> id.kind() == Identity.Kind.REGION);
        String e = "https://127.0.0.1:" + p[0];
        String w = "https://127.0.0.1:" + p[3];
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"));
             HttpClient client = HttpClient.newBuilder().sslContext(anonymous).build();
             HttpClient ops = HttpClient.newBuilder().sslContext(opsCert).build();
             HttpClient intern = HttpClient.newBuilder().sslContext(internCert).build()) {
            TestNodes.startTogether(east, west);

            // Health checks and metrics are open; everything else needs someone known.
            assertThat(send(client, HttpRequest.newBuilder(URI.create(e + "/v1/health")).GET()).statusCode()).isEqualTo(200);
            assertThat(send(client, HttpRequest.newBuilder(URI.create(e + "/metrics")).GET()).statusCode()).isEqualTo(200);
            HttpResponse<String> nobody = send(client, HttpRequest.newBuilder(URI.create(e + "/v1/kv/carts/c1")).GET());
            assertProblem(nobody, 401, "unauthenticated", "requires an access token");
            assertThat(nobody.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"meridian\"");
            assertProblem(send(client, HttpRequest.newBuilder(URI.create(e + "/v1/cluster")).GET()), 401, "unauthenticated", "");
            assertProblem(send(client, HttpRequest.newBuilder(URI.create(e + "/v1/kv/nowhere/k")).GET()), 401, "unauthenticated", "");
            assertProblem(send(intern, HttpRequest.newBuilder(URI.create(e + "/v1/tokens")).GET()), 401, "unauthenticated",
                    "client intern's certificate is not an administrator's");

            // The administrator's certificate makes tokens, in either region; the secret is shown once.
            String writer = create(ops, w, "{\"name\": \"shop\", \"scopes\": [\"read:carts\", \"write:carts\"]}");
            String reader = create(ops, e, "{\"name\": \"report\", \"scopes\": [\"read:carts\"], \"ttl_seconds\": 3600}");
            String admin = create(ops, w, "{\"name\": \"oncall\", \"scopes\": [\"admin\"]}");
            String listing = send(ops, HttpRequest.newBuilder(URI.create(e + "/v1/tokens")).GET()).body();
            assertThat(listing).contains("\"name\":\"shop\"").contains("\"status\":\"live\"").contains("client ops via eu-west")
                    .doesNotContain(writer.substring(21)).doesNotContain("sha256");

            // Made in eu-west, used in us-east: every region knows every token (once it has applied the control log).
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(send(client,
                    as(writer, e + "/v1/kv/carts/c1").PUT(HttpRequest.BodyPublishers.ofString("{\"books\":2}"))).statusCode()).isEqualTo(201));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(send(client,
                    as(reader, w + "/v1/kv/carts/c1").GET()).body()).contains("\"books\":2"));
            // The Java client presents its token on every request.
            try (MeridianClient shop = MeridianClient.connect(w, Duration.ofSeconds(10), anonymous, writer)) {
                shop.put("carts", "c2", "{\"books\":1}");
                assertThat(shop.get("carts", "c2")).isPresent();
                assertThat(MeridianClientCall.status(() -> shop.put("accounts", "a1", "{\"balance\":1}"))).isEqualTo(403);
            }

            // Scopes: reading is not writing, one keyspace is not another, data is not administration.
            assertProblem(send(client, as(reader, e + "/v1/kv/carts/c1").PUT(HttpRequest.BodyPublishers.ofString("{}"))),
                    403, "forbidden", "token 'report' has scopes [read:carts]; this needs write:carts");
            assertProblem(send(client, as(reader, e + "/v1/kv/accounts/a1").GET()), 403, "forbidden", "needs read:accounts");
            assertProblem(send(client, as(writer, e + "/v1/txn/accounts").POST(HttpRequest.BodyPublishers.ofString("{}"))),
                    403, "forbidden", "needs write:accounts");
            assertProblem(send(client, as(writer, e + "/v1/tokens").GET()), 403, "forbidden", "needs admin");
            assertProblem(send(client, as(writer, e + "/v1/failovers/1/approve").POST(HttpRequest.BodyPublishers.noBody())),
                    403, "forbidden", "needs admin");
            assertProblem(send(client, as(admin, e + "/v1/kv/carts/c1").GET()), 403, "forbidden", "needs read:carts");
            assertThat(send(client, as(reader, e + "/v1/cluster").GET()).statusCode()).as("any token sees the deployment").isEqualTo(200);
            assertThat(send(client, as(admin, e + "/v1/tokens").GET()).body()).contains("\"name\":\"oncall\"");

            // A browser's same-origin change over HTTP/2 (no Host header: :authority) is its own page's; another origin's is not.
            HttpResponse<String> sameOrigin = send(client, as(admin, e + "/v1/replication/reset-stats").header("Origin", e)
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(sameOrigin.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(sameOrigin.statusCode()).as(sameOrigin.body()).isEqualTo(204);
            assertProblem(send(client, as(admin, e + "/v1/replication/reset-stats").header("Origin", "https://evil.example")
                    .POST(HttpRequest.BodyPublishers.noBody())), 403, "cross-origin", "");

            // Bad requests to make one lose nothing and say why.
            assertProblem(send(client, as(admin, e + "/v1/tokens").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"x\", \"scopes\": [\"delete:carts\"]}"))),
                    400, "malformed-request", "'delete:carts' is not a scope");
            assertProblem(send(client, as(admin, e + "/v1/tokens").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"x\", \"scopes\": [\"read:nowhere\"]}"))),
                    400, "malformed-request", "no keyspace 'nowhere'");
            assertProblem(send(client, as(admin, e + "/v1/tokens").POST(HttpRequest.BodyPublishers.ofString("{\"name\":"))),
                    400, "malformed-request", "not JSON");
            assertProblem(send(client, as(admin, e + "/v1/tokens").POST(HttpRequest.BodyPublishers.ofString(
                    "{\"name\": \"shop\", \"scopes\": [\"read:carts\"]}"))), 409, "token-refused", "token 'shop'");
            assertProblem(send(client, as(admin, e + "/v1/tokens/ffffffffffffffff").DELETE()), 404, "unknown-token", "");
            assertProblem(send(client, as(writer.substring(0, 25) + "x" + writer.substring(26), e + "/v1/kv/carts/c1").GET()),
                    401, "unauthenticated", "");

            // Revoked in us-east: refused in eu-west as soon as it has applied the revocation.
            String id = writer.substring(4, 20);
            HttpResponse<String> revoked = send(client, as(admin, e + "/v1/tokens/" + id).DELETE());
            assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
            assertThat(revoked.body()).contains("\"status\":\"revoked\"").contains("token 'oncall' via us-east");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertProblem(send(client,
                    as(writer, w + "/v1/kv/carts/c1").GET()), 401, "unauthenticated", "was revoked by token 'oncall' via us-east"));

            // Regions still speak to each other under their certificates: replication crosses, strong writes commit.
            assertThat(send(ops, HttpRequest.newBuilder(URI.create(e + "/v1/kv/carts/c3"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"by\":\"ops\"}"))).statusCode()).isEqualTo(201);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(send(client,
                    as(reader, w + "/v1/kv/carts/c3").GET()).statusCode()).isEqualTo(200));
            assertThat(send(ops, HttpRequest.newBuilder(URI.create(w + "/v1/kv/accounts/a1"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"balance\":5}"))).statusCode()).isIn(200, 201);
        }
    }

    /** The status of a client call that must fail. */
    private static final class MeridianClientCall {
        static int status(Runnable call) {
            try {
                call.run();
            } catch (MeridianClientException ex) {
                return ex.status();
            }
            throw new AssertionError("the call succeeded");
        }
    }
}
