package io.meridian.node;

import io.meridian.node.replication.Resolvers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.config.ConfigException;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegionNodeStartTest {
    @TempDir
    Path dir;

    @Test
    void aResolverClassIsLoadedAndAMissingOneIsRefusedNamingIt() {
        MeridianConfig good = ConfigLoader.parse("t.yaml", """
                regions: [{name: us-east, http: 127.0.0.1:0}]
                keyspaces: [{name: carts, policy: multi-master, resolver: io.meridian.node.LongerValueWins}]
                """);
        assertThat(Resolvers.load(good).get("carts")).isInstanceOf(LongerValueWins.class);
        MeridianConfig missing = ConfigLoader.parse("t.yaml", """
                regions: [{name: us-east, http: 127.0.0.1:0}]
                keyspaces: [{name: carts, policy: multi-master, resolver: com.example.Nowhere}]
                """);
        assertThatThrownBy(() -> RegionNode.create(missing, "us-east", dir)).isInstanceOf(NodeStartException.class)
                .hasMessageContaining("keyspace 'carts': resolver com.example.Nowhere is not on the class path");
        MeridianConfig wrong = ConfigLoader.parse("t.yaml", """
                regions: [{name: us-east, http: 127.0.0.1:0}]
                keyspaces: [{name: carts, policy: multi-master, resolver: java.lang.String}]
                """);
        assertThatThrownBy(() -> RegionNode.create(wrong, "us-east", dir)).hasMessageContaining("does not implement");
    }

    @Test
    void aProjectionClassThatCannotBeUsedIsRefusedNamingIt() {
        MeridianConfig missing = ConfigLoader.parse("t.yaml", """
                regions: [{name: us-east, http: 127.0.0.1:0}]
                keyspaces: [{name: orders, policy: event-log, projections: [{name: totals, class: com.example.Totals}]}]
                """);
        assertThatThrownBy(() -> RegionNode.create(missing, "us-east", dir)).isInstanceOf(NodeStartException.class)
                .hasMessageContaining("keyspace 'orders': projection totals (com.example.Totals) is not on the class path");
        MeridianConfig wrong = ConfigLoader.parse("t.yaml", """
                regions: [{name: us-east, http: 127.0.0.1:0}]
                keyspaces: [{name: orders, policy: event-log, projections: [{name: totals, class: io.meridian.node.LongerValueWins}]}]
                """);
        assertThatThrownBy(() -> RegionNode.create(wrong, "us-east", dir)).hasMessageContaining("does not implement "
                + io.meridian.core.events.Projection.class.getName());
    }

    @Test
    void aRegionNotInTheConfigurationIsRefusedListingTheRegions() {
        MeridianConfig config = ConfigLoader.parse("t.yaml", """
                regions: [{name: us-east, http: 127.0.0.1:0}]
                keyspaces: [{name: cache, policy: local}]
                """);
        assertThatThrownBy(() -> RegionNode.create(config, "mars", dir))
                .hasMessage("region 'mars' is not in the configuration; regions: us-east");
    }

    @Test
    void aPortInUseIsNamedAndTheStoreIsReleased() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            MeridianConfig config = ConfigLoader.parse("t.yaml", "regions: [{name: us-east, http: 127.0.0.1:" + port + "}]\n"
                    + "keyspaces: [{name: cache, policy: local}]\n");
            RegionNode node = RegionNode.create(config, "us-east", dir);
            assertThatThrownBy(node::start).isInstanceOf(NodeStartException.class)
                    .hasMessageContaining("127.0.0.1:" + port).hasMessageContaining("in use");
            RegionNode again = RegionNode.create(ConfigLoader.parse("t.yaml",
                    "regions: [{name: us-east, http: 127.0.0.1:0}]\nkeyspaces: [{name: cache, policy: local}]\n"), "us-east", dir);
            again.start();
            again.close();
        }
    }

    @Test
    void aConsensusPortInUseIsNamedInsteadOfEndingTheProcess() throws Exception {
        int port = FreePorts.take(1)[0];
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", port));
            MeridianConfig config = ConfigLoader.parse("t.yaml", "regions: [{name: us-east, http: 127.0.0.1:0, consensus: 127.0.0.1:"
                    + port + "}]\nkeyspaces: [{name: accounts, policy: strong}]\n");
            RegionNode node = RegionNode.create(config, "us-east", dir.resolve("consensus-in-use"));
            // Ratis alone would call System.exit(1) here, and this JVM would end instead of failing.
            assertThatThrownBy(node::start).isInstanceOf(NodeStartException.class)
                    .hasMessage("cannot listen on 127.0.0.1:" + port + " for consensus (Raft): the port is in use (another node or"
                            + " program has it; `ss -ltnp 'sport = :" + port + "'` shows which)");
        }
    }

    @Test
    void aBrokenConfigurationFileNamesFileAndLine() throws Exception {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, "regions:\n  - name: us-east\n    http: nowhere\nkeyspaces: []\n");
        assertThatThrownBy(() -> ConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":3:11: regions[0].http: 'nowhere' is not an address");
        assertThatThrownBy(() -> ConfigFile.load(dir.resolve("missing.yaml"))).hasMessageContaining("no such file");
    }

    @Test
    void aKeyspaceResidentElsewhereIsRefusedInThisRegion() throws Exception {
        MeridianConfig config = ConfigLoader.parse("t.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:0}
                  - {name: eu-west, http: 127.0.0.1:1}
                keyspaces: [{name: eu-only, policy: local, residency: [eu-west]}]
                probe: {interval-ms: 60000, timeout-ms: 100}
                """);
        try (RegionNode node = RegionNode.create(config, "us-east", dir)) {
            node.start();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + node.port() + "/v1/kv/eu-only/k"))
                    .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(r.body()).contains("urn:meridian:problem:outside-residency").contains("[eu-west]");
        }
    }

    @Test
    void anAddressThatIsNotThisMachinesIsNamedAsSuchNotAsAPortInUse() {
        MeridianConfig config = ConfigLoader.parse("t.yaml", "regions: [{name: us-east, http: 192.0.2.1:7001}]\n"
                + "keyspaces: [{name: cache, policy: local}]\n");
        try (RegionNode node = RegionNode.create(config, "us-east", dir.resolve("elsewhere"))) {
            assertThatThrownBy(node::start).isInstanceOf(NodeStartException.class)
                    .hasMessageStartingWith("cannot listen on 192.0.2.1:7001 for HTTP: 192.0.2.1 is not an address of this machine")
                    .hasMessageNotContaining("in use");
        }
    }

    @Test
    void aDataDirectoryInUseByAnotherNodeSaysSo() {
        MeridianConfig config = ConfigLoader.parse("t.yaml", "regions: [{name: us-east, http: 127.0.0.1:0}]\n"
                + "keyspaces: [{name: cache, policy: local}]\n");
        Path data = dir.resolve("shared-data");
        try (RegionNode first = RegionNode.create(config, "us-east", data); RegionNode second = RegionNode.create(config, "us-east", data)) {
            first.start();
            assertThatThrownBy(second::start)
                    .hasMessageContaining("data directory " + data + " is in use by another node (process "
                            + ProcessHandle.current().pid())
                    .hasMessageNotContaining("Resource temporarily unavailable");
        }
    }

    @Test
    void aDeploymentWhoseOnlyReplicatedKeyspacesAreStrongStartsWithoutReplicationAddresses() throws Exception {
        int[] consensus = FreePorts.take(2);
        MeridianConfig config = ConfigLoader.parse("t.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:0, consensus: 127.0.0.1:%d}
                  - {name: eu-west, http: 127.0.0.1:0, consensus: 127.0.0.1:%d}
                keyspaces: [{name: accounts, policy: strong}]
                """.formatted(consensus[0], consensus[1]));
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("strong-east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("strong-west"))) {
            east.start();
            west.start();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> put = null;
            for (int i = 0; i < 100 && (put == null || put.statusCode() >= 500); i++) {
                put = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + east.port() + "/v1/kv/accounts/a"))
                        .PUT(HttpRequest.BodyPublishers.ofString("1")).build(), HttpResponse.BodyHandlers.ofString());
                if (put.statusCode() >= 500) {
                    Thread.sleep(200); // until the group has elected a leader
                }
            }
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + west.port()
                    + "/v1/kv/accounts/a")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(get.body()).isEqualTo("1");

            // A refused condition says what the version is now; a version out of range is a malformed header (fuzzing found a 500).
            HttpResponse<String> stale = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + east.port()
                    + "/v1/kv/accounts/a")).header("If-Match", "\"999999\"").PUT(HttpRequest.BodyPublishers.ofString("9")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(stale.statusCode()).as(stale.body()).isEqualTo(412);
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(stale.body()).path("current_version").asLong())
                    .isPositive().isNotEqualTo(999999);
            HttpResponse<String> huge = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + east.port()
                    + "/v1/kv/accounts/a")).header("If-Match", "\"99999999999999999999999\"")
                    .PUT(HttpRequest.BodyPublishers.ofString("9")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(huge.statusCode()).as(huge.body()).isEqualTo(400);
            assertThat(huge.body()).contains("malformed-header");

            // Its change feed: every committed change in log order, in each region.
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + east.port() + "/v1/kv/accounts/b"))
                    .PUT(HttpRequest.BodyPublishers.ofString("2")).build(), HttpResponse.BodyHandlers.ofString());
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + east.port() + "/v1/kv/accounts/a"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            com.fasterxml.jackson.databind.JsonNode[] feed = new com.fasterxml.jackson.databind.JsonNode[1];
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                feed[0] = new com.fasterxml.jackson.databind.ObjectMapper().readTree(http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + west.port() + "/v1/changes/accounts")).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                return feed[0].path("items").size() == 3;
            });
            assertThat(feed[0].path("items").findValuesAsText("key")).containsExactly("a", "b", "a");
            assertThat(feed[0].path("items").findValuesAsText("op")).containsExactly("put", "put", "delete");
            assertThat(feed[0].path("items").findValues("position").stream().map(com.fasterxml.jackson.databind.JsonNode::asLong)
                    .toList()).containsExactly(1L, 2L, 3L);
            assertThat(feed[0].path("items").get(1).path("value").asText()).isEqualTo("2");
            assertThat(feed[0].path("items").get(2).path("log_index").asLong())
                    .isGreaterThan(feed[0].path("items").get(1).path("log_index").asLong());
        }
    }
}
