package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RPO budget with real nodes: two regions, one of them stopped to play a region cut off.
 * {@code sessions} refuses writes over a 250 ms budget; {@code notes} (budget 0) acknowledges a
 * write only once the other region holds it.
 */
class RpoBudgetTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void writesOverTheBudgetAreRefusedOrWaitAndFlowAgainOnceAnotherRegionHoldsThem() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: sessions, policy: multi-master, rpo-budget: 250ms, on-budget-exceeded: refuse}
                  - {name: notes, policy: multi-master, rpo-budget: 0}
                  - {name: scratch, policy: multi-master}
                """);
        RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"));
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"))) {
            TestNodes.startTogether(east, west);
            String e = "http://127.0.0.1:" + east.port();
            String w = "http://127.0.0.1:" + p[2];

            // Healthy: writes are acknowledged; one with budget 0 is held by the other region when it is.
            await().atMost(Duration.ofSeconds(30)).until(() -> put(e + "/v1/kv/sessions/a", "1").statusCode() == 201);
            assertThat(put(e + "/v1/kv/notes/a", "1").statusCode()).isEqualTo(201);
            assertThat(keyspace(get(e + "/v1/exposure"), "notes").path("writes").asLong()).isZero();
            assertThat(eventual(w + "/v1/kv/notes/a").body()).isEqualTo("1");

            // Cut off: eu-west is gone.
            west.close();
            assertThat(put(e + "/v1/kv/sessions/b", "2").statusCode()).as("within the budget").isEqualTo(201);
            assertThat(put(e + "/v1/kv/scratch/b", "2").statusCode()).isEqualTo(201);
            Thread.sleep(400);
            HttpResponse<String> refused = put(e + "/v1/kv/sessions/c", "3");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            JsonNode problem = JSON.readTree(refused.body());
            assertThat(problem.path("type").asText()).endsWith("rpo-budget-exceeded");
            assertThat(problem.path("written").asBoolean(true)).isFalse();
            assertThat(problem.path("detail").asText()).contains("held by no other region").contains("eu-west holds");
            assertThat(get(e + "/v1/kv/sessions/c").statusCode()).as("nothing was written").isEqualTo(404);
            assertThat(put(e + "/v1/kv/scratch/c", "3").statusCode()).as("a keyspace without a budget").isEqualTo(201);

            HttpResponse<String> waited = put(e + "/v1/kv/notes/b", "2");
            assertThat(waited.statusCode()).as(waited.body()).isEqualTo(503);
            assertThat(JSON.readTree(waited.body()).path("written").asBoolean()).isTrue();

            JsonNode exposure = JSON.readTree(get(e + "/v1/exposure").body());
            assertThat(keyspace(exposure, "sessions").path("writes").asLong()).isEqualTo(1);
            assertThat(keyspace(exposure, "sessions").path("over_budget").asBoolean()).isTrue();
            assertThat(keyspace(exposure, "sessions").path("oldest_age_ms").asLong()).isGreaterThanOrEqualTo(250);
            assertThat(keyspace(exposure, "notes").path("writes").asLong()).as("stored, not acknowledged, still exposed").isEqualTo(1);
            assertThat(keyspace(exposure, "scratch").path("writes").asLong()).isEqualTo(2);
            assertThat(keyspace(exposure, "scratch").path("over_budget").isNull()).as("no budget").isTrue();
            assertThat(exposure.path("budget_refusals").asLong()).isEqualTo(1);
            assertThat(exposure.path("budget_timeouts").asLong()).isEqualTo(1);
            assertThat(get(e + "/metrics").body()).contains("meridian_exposure_writes{keyspace=\"sessions\",region=\"us-east\"} 1.0");

            // The link heals: eu-west is back, takes the writes, and the budget lets writes through again.
            west = RegionNode.create(config, "eu-west", dir.resolve("west"));
            west.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> put(e + "/v1/kv/sessions/c", "3").statusCode() == 201);
            await().atMost(Duration.ofSeconds(30)).until(() -> JSON.readTree(get(e + "/v1/exposure").body()).path("writes").asLong() == 0);
            assertThat(eventual(w + "/v1/kv/notes/b").body()).as("the unacknowledged write replicated").isEqualTo("2");
            JsonNode cluster = JSON.readTree(get(e + "/v1/cluster").body());
            assertThat(cluster.path("exposure").path("eu-west").path("region").asText()).isEqualTo("eu-west");
            assertThat(cluster.path("keyspaces").get(0).path("rpo_budget_ms").asLong()).isEqualTo(250);
        } finally {
            west.close();
        }
    }

    private static JsonNode keyspace(HttpResponse<String> exposure, String name) throws Exception {
        return keyspace(JSON.readTree(exposure.body()), name);
    }

    private static JsonNode keyspace(JsonNode exposure, String name) {
        for (JsonNode k : exposure.path("keyspaces")) {
            if (k.path("keyspace").asText().equals(name)) {
                return k;
            }
        }
        throw new AssertionError("no keyspace " + name + " in " + exposure);
    }

    private HttpResponse<String> put(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> eventual(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Meridian-Consistency", "eventual").GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
