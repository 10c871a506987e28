package io.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.core.ProblemType;
import io.meridian.core.config.ConfigLoader;
import io.meridian.node.RegionNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java client and the `kv` command against one real node: they say what happened. */
class ClientAndCliTest {
    @TempDir
    static Path dir;
    static RegionNode node;
    static String url;
    static MeridianClient client;

    @BeforeAll
    static void start() {
        node = RegionNode.create(ConfigLoader.parse("test.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:0}
                keyspaces:
                  - {name: cache, policy: local}
                """), "us-east", dir.resolve("data"));
        node.start();
        url = "http://127.0.0.1:" + node.port();
        client = MeridianClient.connect(url);
    }

    @AfterAll
    static void stop() {
        client.close();
        node.close();
    }

    @Test
    void theClusterDocumentReadsIntoItsRecordWithoutLosingAMember() throws Exception {
        io.meridian.core.api.ClusterView cluster = client.cluster();
        assertThat(cluster.region()).isEqualTo("us-east");
        assertThat(cluster.keyspaces()).extracting(io.meridian.core.api.ClusterView.Keyspace::policy).containsExactly("local");
        com.fasterxml.jackson.databind.JsonNode raw = client.getJson("/v1/cluster");
        com.fasterxml.jackson.databind.ObjectMapper m = io.meridian.core.api.ApiJson.MAPPER;
        assertThat(m.writeValueAsString(m.treeToValue(raw, io.meridian.core.api.ClusterView.class)))
                .as("every member the node writes has a place in ClusterView").isEqualTo(m.writeValueAsString(raw));
    }

    @Test
    void aMissingKeyIsAbsentButAnUnknownKeyspaceIsAnError() {
        assertThat(client.get("cache", "missing")).isEmpty();
        assertThat(client.delete("cache", "missing")).isFalse();
        assertThatThrownBy(() -> client.get("nope", "k1")).isInstanceOfSatisfying(MeridianClientException.class, e -> {
            assertThat(e.type()).isEqualTo(ProblemType.UNKNOWN_KEYSPACE);
            assertThat(e.getMessage()).contains("'nope'");
        });
        assertThatThrownBy(() -> client.delete("nope", "k1")).isInstanceOfSatisfying(MeridianClientException.class,
                e -> assertThat(e.type()).isEqualTo(ProblemType.UNKNOWN_KEYSPACE));
    }

    @Test
    void aConditionalWriteOnAStaleVersionIsRefusedAsAPreconditionFailure() {
        MeridianClient.Written first = client.put("cache", "cas", "v1".getBytes(StandardCharsets.UTF_8), "text/plain",
                RequestOptions.NONE.createOnly());
        client.put("cache", "cas", "v2".getBytes(StandardCharsets.UTF_8), "text/plain", RequestOptions.NONE.ifMatch(first.version()));
        assertThatThrownBy(() -> client.put("cache", "cas", "v3".getBytes(StandardCharsets.UTF_8), "text/plain",
                RequestOptions.NONE.ifMatch(first.version()))).isInstanceOfSatisfying(MeridianClientException.class,
                e -> assertThat(e.type()).isEqualTo(ProblemType.PRECONDITION_FAILED));
        assertThat(client.get("cache", "cas").orElseThrow().text()).isEqualTo("v2");
    }

    @Test
    void aNodeThatIsNotThereIsNamedWithItsAddress() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (MeridianClient nowhere = MeridianClient.connect("http://127.0.0.1:" + closed)) {
            assertThatThrownBy(() -> nowhere.get("cache", "k")).isInstanceOfSatisfying(MeridianClientException.class, e -> {
                assertThat(e.type()).isEqualTo(ProblemType.UNAVAILABLE);
                assertThat(e.getMessage()).isEqualTo("cannot connect to http://127.0.0.1:" + closed
                        + ": nothing listens there (the node is down, or the address is wrong)");
            });
        }
    }

    @Test
    void kvGetTellsAnUnknownKeyspaceFromAMissingKey() {
        Output missingKey = cli("kv", "get", "--url", url, "cache", "k1");
        assertThat(missingKey.exit()).isEqualTo(1);
        assertThat(missingKey.err()).isEqualTo("error: key 'k1' does not exist in keyspace 'cache'\n");
        Output unknownKeyspace = cli("kv", "get", "--url", url, "nope", "k1");
        assertThat(unknownKeyspace.exit()).isEqualTo(1);
        assertThat(unknownKeyspace.err()).startsWith("error: keyspace 'nope' does not exist").contains("(unknown-keyspace, HTTP 404, region us-east)");
    }

    @Test
    void kvCarriesASessionBetweenCallsAndPrintsJsonOnRequest() throws Exception {
        Path session = dir.resolve("session.txt");
        Output put = cli("kv", "put", "--url", url, "--session", session.toString(), "cache", "s", "hello");
        assertThat(put.out()).startsWith("created cache/s version ");
        Output get = cli("kv", "get", "--url", url, "--json", "cache", "s");
        assertThat(get.out()).contains("\"value\" : \"hello\"").contains("\"region\" : \"us-east\"");
        Output del = cli("kv", "del", "--url", url, "cache", "s");
        assertThat(del.out()).isEqualTo("deleted cache/s\n");
    }

    record Output(int exit, String out, String err) {
    }

    private static synchronized Output cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = Main.run(args);
            return new Output(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
