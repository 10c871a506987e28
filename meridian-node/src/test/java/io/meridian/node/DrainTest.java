package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node draining before a planned stop: new requests get a 503 that sends a client elsewhere
 * (and closes the connection), readiness says {@code draining}, liveness and metrics still answer.
 */
class DrainTest {
    @TempDir
    Path dir;

    @Test
    void aDrainingNodeRefusesNewRequestsAsUnavailableAndSaysSoInItsReadiness() {
        try (RegionNode node = RegionNodeApiTest.started(dir, """
                regions:
                  - {name: us-east, http: 127.0.0.1:0}
                keyspaces:
                  - {name: cache, policy: local}
                """)) {
            String base = "http://127.0.0.1:" + node.port();
            assertThat(RegionNodeApiTest.sendTo(base, "PUT", "/v1/kv/cache/k", "v").statusCode()).isEqualTo(201);
            assertThat(RegionNodeApiTest.sendTo(base, "GET", "/v1/health/ready", null).statusCode()).isEqualTo(200);

            assertThat(node.drain(Duration.ofSeconds(2))).as("requests left in flight").isZero();
            HttpResponse<String> refused = RegionNodeApiTest.sendTo(base, "GET", "/v1/kv/cache/k", null);
            RegionNodeApiTest.problem(refused, 503, "unavailable");
            assertThat(refused.body()).contains("stopping");
            assertThat(refused.headers().firstValue("Retry-After")).contains("1");
            assertThat(refused.headers().firstValue("Connection")).contains("close");
            HttpResponse<String> ready = RegionNodeApiTest.sendTo(base, "GET", "/v1/health/ready", null);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("\"status\":\"draining\"");
            assertThat(RegionNodeApiTest.sendTo(base, "GET", "/v1/health", null).statusCode()).isEqualTo(200);
            assertThat(RegionNodeApiTest.sendTo(base, "GET", "/metrics", null).statusCode()).isEqualTo(200);
        }
    }
}
