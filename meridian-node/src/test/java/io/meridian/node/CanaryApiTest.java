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
 * Canary probes between two real nodes: each region's beats become visible in the other and are
 * measured there, read-your-writes probes hold, and the probes stay out of what users see.
 */
class CanaryApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    private static MeridianConfig config(int[] p, String canary) {
        return ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: sessions, policy: multi-master}
                %s
                """.formatted(canary));
    }

    @Test
    void beatsOfEachRegionAreMeasuredInTheOtherAndStayOutOfUsersFigures() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = config(p, "canary: {interval-ms: 100}");
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"))) {
            TestNodes.startTogether(east, west);
            String e = "http://127.0.0.1:" + p[0];
            String w = "http://127.0.0.1:" + p[2];

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (String[] pair : new String[][] {{e, "eu-west"}, {w, "us-east"}}) {
                    JsonNode canary = JSON.readTree(get(pair[0] + "/v1/canary").body());
                    JsonNode source = canary.path("sources").get(0);
                    assertThat(source.path("source").asText()).isEqualTo(pair[1]);
                    assertThat(source.path("seen").asLong()).as(canary.toString()).isGreaterThanOrEqualTo(5);
                    assertThat(source.path("p50_ms").asLong()).isBetween(0L, 5_000L);
                    assertThat(source.path("age_ms").asLong()).isBetween(0L, 10_000L);
                    JsonNode ryw = canary.path("ryw").get(0);
                    assertThat(ryw.path("target").asText()).isEqualTo(pair[1]);
                    assertThat(ryw.path("probes").asLong() - ryw.path("failures").asLong()).as(canary.toString())
                            .isGreaterThanOrEqualTo(3);
                    assertThat(ryw.path("violations").asLong()).as(canary.toString()).isZero();
                }
            });
            JsonNode canary = JSON.readTree(get(w + "/v1/canary").body());
            assertThat(canary.path("region").asText()).isEqualTo("eu-west");
            assertThat(canary.path("interval_ms").asLong()).isEqualTo(100);
            assertThat(canary.path("written").asLong()).isPositive();

            // A region's beat is readable anywhere, and nobody else may write it.
            HttpResponse<String> beat = get(w + "/v1/kv/_canary/us-east");
            assertThat(beat.statusCode()).as(beat.body()).isEqualTo(200);
            assertThat(JSON.readTree(beat.body()).path("region").asText()).isEqualTo("us-east");
            assertThat(get(w + "/v1/kv/_canary").statusCode()).as("a scan").isEqualTo(200);
            HttpResponse<String> put = send("PUT", w + "/v1/kv/_canary/us-east");
            assertThat(put.statusCode()).isEqualTo(405);
            assertThat(put.headers().firstValue("Allow")).contains("GET, HEAD");
            assertThat(put.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(JSON.readTree(put.body()).path("detail").asText()).contains("canary");
            assertThat(send("DELETE", w + "/v1/kv/_canary/us-east").statusCode()).isEqualTo(405);
            assertThat(send("POST", w + "/v1/kv/_canary/us-east/move-home?to=us-east").statusCode()).isEqualTo(405);
            assertThat(get(w + "/v1/changes/_canary").statusCode()).isEqualTo(405);
            assertThat(JSON.readTree(get(w + "/v1/kv/_canary/us-east").body()).path("region").asText()).isEqualTo("us-east");

            // Out of users' figures: listings, exposure, request metrics.
            JsonNode cluster = JSON.readTree(get(w + "/v1/cluster").body());
            assertThat(cluster.path("keyspaces")).hasSize(1);
            assertThat(cluster.path("keyspaces").get(0).path("name").asText()).isEqualTo("sessions");
            assertThat(get(w + "/v1/exposure").body()).doesNotContain("_canary");
            assertThat(JSON.readTree(get(e + "/v1/exposure").body()).path("keyspaces")).hasSize(1);
            assertThat(get(w + "/v1/kv/nope/x").body()).contains("keyspaces: sessions\"");
            String metrics = get(w + "/metrics").body();
            assertThat(metrics).doesNotContain("keyspace=\"_canary\"")
                    .contains("meridian_canary_staleness_seconds_count{region=\"eu-west\",source=\"us-east\",target=\"eu-west\"}")
                    .contains("meridian_canary_age_seconds{region=\"eu-west\",source=\"us-east\",target=\"eu-west\"}")
                    .contains("meridian_canary_ryw_violations_total{region=\"eu-west\",target=\"us-east\"} 0.0")
                    .contains("meridian_canary_beats_total{region=\"eu-west\"}");
        }
    }

    @Test
    void canariesOffMeansNoProbesAndNoKeyspace() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = config(p, "canary: {interval-ms: 0}");
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"))) {
            east.start();
            String e = "http://127.0.0.1:" + p[0];
            HttpResponse<String> canary = get(e + "/v1/canary");
            assertThat(canary.statusCode()).isEqualTo(404);
            assertThat(canary.body()).contains("runs no canary probes").contains("interval-ms is 0");
            assertThat(get(e + "/v1/kv/_canary/us-east").statusCode()).isEqualTo(404);
            assertThat(get(e + "/v1/kv/_canary/us-east").body()).contains("unknown-keyspace");
            assertThat(get(e + "/metrics").body()).doesNotContain("meridian_canary");
        }
    }

    private HttpResponse<String> send(String method, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
