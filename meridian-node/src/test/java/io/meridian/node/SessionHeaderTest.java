package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session token naming a region the deployment does not have is a malformed header, not an internal error. */
class SessionHeaderTest {
    @TempDir
    static Path dir;
    static RegionNode node;

    @BeforeAll
    static void start() {
        node = RegionNode.create(ConfigLoader.parse("test.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:0}
                keyspaces:
                  - {name: sessions, policy: multi-master}
                  - {name: profiles, policy: home-region}
                """), "us-east", dir.resolve("data"));
        node.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    /** A new connection each time: a refused PUT's connection is closed by the server (its body unread). */
    private static HttpResponse<String> send(String method, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Meridian-Session", "nowhere=5")
                .method(method, method.equals("PUT") ? HttpRequest.BodyPublishers.ofString("v") : HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void aSessionTokenNamingAnUnknownRegionIsRefusedAsMalformedNamingTheRegion() throws Exception {
        for (String path : new String[] {"/v1/kv/sessions/k", "/v1/kv/profiles/k"}) {
            for (String method : new String[] {"GET", "PUT", "DELETE"}) {
                HttpResponse<String> r = send(method, path);
                assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(400);
                assertThat(r.body()).contains("urn:meridian:problem:malformed-header").contains("'nowhere'");
            }
            assertThat(send("HEAD", path).statusCode()).as("HEAD " + path).isEqualTo(400);
        }
    }
}
