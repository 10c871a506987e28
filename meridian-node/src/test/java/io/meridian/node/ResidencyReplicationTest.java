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
import io.meridian.testkit.Marker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A keyspace resident in eu-west, between two real nodes on RocksDB: its writes replicate to
 * us-east withheld, so after they arrived there (the writes after them did) no file of us-east's
 * data directory holds a byte of their keys or values, while eu-west's does, and so do us-east's
 * for a keyspace without residency (the search works).
 */
class ResidencyReplicationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aResidentKeyspacesKeysAndValuesNeverReachTheDiskOfARegionOutsideIt() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: eu-profiles, policy: multi-master, residency: [eu-west]}
                  - {name: sessions, policy: multi-master}
                canary: {interval-ms: 0}
                """);
        Marker resident = Marker.next("RESIDENT");
        Marker residentKey = Marker.next("KEY");
        Marker open = Marker.next("OPEN");
        String e = "http://127.0.0.1:" + p[0];
        String w = "http://127.0.0.1:" + p[2];
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"))) {
            TestNodes.startTogether(east, west);

            for (int i = 0; i < 20; i++) {
                assertThat(put(w + "/v1/kv/eu-profiles/" + residentKey + "-" + i, "{\"email\":\"" + resident + "\"}")).isEqualTo(201);
            }
            assertThat(put(w + "/v1/kv/sessions/s1", "{\"v\":\"" + open + "\"}")).isEqualTo(201);
            // The open write came after the resident ones from the same origin: once us-east has it, it has their places too.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get(e + "/v1/kv/sessions/s1").body()).contains(open.text()));
            JsonNode cluster = JSON.readTree(get(e + "/v1/cluster").body());
            assertThat(cluster.path("replication").path("watermarks").path("eu-west").asLong()).isEqualTo(21);
            assertThat(get(e + "/v1/kv/eu-profiles/" + residentKey + "-0").statusCode()).as("refused at the API too").isEqualTo(403);
            assertThat(get(w + "/v1/kv/eu-profiles/" + residentKey + "-0").body()).contains(resident.text());

            // Only eu-west may hold them, so no other region's acknowledgement makes them less exposed... and they wait
            // for no copy: they are not counted as exposed at all. The open write is held by us-east.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(JSON.readTree(get(w + "/v1/exposure").body()).path("writes").asLong()).isZero());
        }
        // Closed: memtables flushed, logs closed. Search every file, byte for byte.
        assertThat(resident.in(dir.resolve("east"))).as("us-east holds no resident value").isEmpty();
        assertThat(residentKey.in(dir.resolve("east"))).as("nor a resident key").isEmpty();
        assertThat(open.in(dir.resolve("east"))).as("the search finds what is there").isNotEmpty();
        assertThat(resident.in(dir.resolve("west"))).isNotEmpty();
        assertThat(residentKey.in(dir.resolve("west"))).isNotEmpty();
    }

    @Test
    void aResidentStrongKeyspacesGroupHasOnlyTheRegionsOfItsResidency() throws Exception {
        int[] p = FreePorts.take(2);
        MeridianConfig config = ConfigLoader.parse("t.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:0, consensus: 127.0.0.1:%d}
                  - {name: eu-west, http: 127.0.0.1:0, consensus: 127.0.0.1:%d}
                keyspaces:
                  - {name: eu-accounts, policy: strong, residency: [eu-west]}
                  - {name: accounts, policy: strong}
                """.formatted(p[0], p[1]));
        Marker resident = Marker.next("RESIDENT");
        Marker open = Marker.next("OPEN");
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"))) {
            TestNodes.startTogether(east, west);
            String w = "http://127.0.0.1:" + west.port();
            String e = "http://127.0.0.1:" + east.port();
            // eu-west alone is the keyspace's group: it commits at once, whatever us-east does.
            await().atMost(Duration.ofSeconds(60)).until(() -> put(w + "/v1/kv/eu-accounts/alice", "\"" + resident + "\"") == 201);
            await().atMost(Duration.ofSeconds(60)).until(() -> put(w + "/v1/kv/accounts/bob", "\"" + open + "\"") == 201);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get(e + "/v1/kv/accounts/bob").body()).contains(open.text()));
            assertThat(get(w + "/v1/kv/eu-accounts/alice").body()).contains(resident.text());
            assertThat(get(e + "/v1/kv/eu-accounts/alice").statusCode()).isEqualTo(403);
            JsonNode eastGroups = JSON.readTree(get(e + "/v1/cluster").body()).path("strong");
            assertThat(eastGroups.findValuesAsText("keyspace")).containsExactly("accounts");
            JsonNode westGroups = JSON.readTree(get(w + "/v1/cluster").body()).path("strong");
            assertThat(westGroups.findValuesAsText("keyspace")).containsExactly("eu-accounts", "accounts");
        }
        assertThat(resident.in(dir.resolve("east"))).as("us-east holds nothing of it, Raft log included").isEmpty();
        assertThat(open.in(dir.resolve("east"))).isNotEmpty();
        assertThat(resident.in(dir.resolve("west"))).isNotEmpty();
    }

    /**
     * {@code outside-residency: redirect}: a region outside the residency answers 307 with the
     * same path at a region inside (never forwarding the request, so nothing of it passes through
     * it), which HTTP clients and the Java client follow.
     */
    @Test
    void aRegionOutsideAResidencyDeclaredRedirectSendsClientsToARegionInside() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: eu-profiles, policy: multi-master, residency: [eu-west], outside-residency: redirect}
                canary: {interval-ms: 0}
                """);
        String e = "http://127.0.0.1:" + p[0];
        String w = "http://127.0.0.1:" + p[2];
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"))) {
            TestNodes.startTogether(east, west);

            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(e + "/v1/kv/eu-profiles/ana"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"city\":\"Lyon\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(307);
            assertThat(refused.headers().firstValue("Location")).contains(w + "/v1/kv/eu-profiles/ana");
            assertThat(refused.headers().firstValue("Meridian-Region")).contains("us-east");
            assertThat(refused.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(JSON.readTree(refused.body()).path("region_to_ask").asText()).isEqualTo("eu-west");
            HttpResponse<String> scan = get(e + "/v1/kv/eu-profiles?prefix=a&limit=5");
            assertThat(scan.headers().firstValue("Location")).as("the query goes too").contains(w + "/v1/kv/eu-profiles?prefix=a&limit=5");

            HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpResponse<String> written = following.send(HttpRequest.newBuilder(URI.create(e + "/v1/kv/eu-profiles/ana"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"city\":\"Lyon\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(written.statusCode()).as(written.body()).isEqualTo(201);
            assertThat(written.headers().firstValue("Meridian-Region")).contains("eu-west");

            try (io.meridian.client.MeridianClient client = io.meridian.client.MeridianClient.connect(e)) {
                assertThat(client.put("eu-profiles", "bea", "{\"city\":\"Gent\"}").region()).isEqualTo("eu-west");
                assertThat(client.get("eu-profiles", "ana").orElseThrow().text()).contains("Lyon");
            }
            assertThat(get(w + "/v1/kv/eu-profiles/bea").body()).contains("Gent");
        }
    }

    private int put(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
