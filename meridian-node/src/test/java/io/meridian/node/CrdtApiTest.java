package io.meridian.node;

import static io.meridian.node.RegionNodeApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CRDT keyspaces through the HTTP API of one real node: operations, values, refusals. */
class CrdtApiTest {
    @TempDir
    static Path dir;
    static RegionNode node;
    static String base;

    @BeforeAll
    static void start() {
        node = RegionNodeApiTest.started(dir.resolve("data"), """
                regions:
                  - {name: us-east, http: 127.0.0.1:0}
                keyspaces:
                  - {name: likes, policy: crdt, type: counter}
                  - {name: tags, policy: crdt, type: set, max-value-bytes: 2048}
                  - {name: carts, policy: crdt, type: "map<counter>"}
                  - {name: settings, policy: crdt, type: "map<register>"}
                  - {name: comments, policy: crdt, type: sequence}
                  - {name: notes, policy: crdt, type: multi-value}
                  - {name: cache, policy: local}
                """);
        base = "http://127.0.0.1:" + node.port();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String... headers) {
        return RegionNodeApiTest.sendTo(base, method, path, body, headers);
    }

    static JsonNode op(String keyspace, String key, String body) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/crdt/" + keyspace + "/" + key, body);
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        assertThat(r.headers().firstValue("Meridian-Session")).isPresent();
        return json(r);
    }

    @Test
    void aCounterCountsAndReadsAsANumber() throws Exception {
        assertThat(op("likes", "post-1", "{\"increment\": 5}").path("value").asLong()).isEqualTo(5);
        assertThat(op("likes", "post-1", "[{\"increment\": 10}, {\"decrement\": 3}]").path("value").asLong()).isEqualTo(12);
        HttpResponse<String> r = send("GET", "/v1/kv/likes/post-1", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("12");
        assertThat(r.headers().firstValue("Meridian-Crdt-Type")).contains("counter");
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    }

    @Test
    void setsMapsSequencesAndRegistersShowTheirValuesAsJson() throws Exception {
        op("tags", "t", "{\"add\": [\"b\", \"a\", \"c\"]}");
        assertThat(op("tags", "t", "{\"remove\": \"c\"}").path("value").toString()).isEqualTo("[\"a\",\"b\"]");
        JsonNode cart = op("carts", "alice", "{\"update\": {\"apples\": {\"increment\": 2}, \"pears\": {\"increment\": 1}}}");
        assertThat(cart.path("value").toString()).isEqualTo("{\"apples\":2,\"pears\":1}");
        assertThat(op("carts", "alice", "{\"remove_field\": \"pears\"}").path("value").toString()).isEqualTo("{\"apples\":2}");
        op("settings", "site", "{\"update\": {\"theme\": {\"set\": \"dark\"}, \"limits\": {\"set\": {\"max\": 3}}}}");
        assertThat(json(send("GET", "/v1/kv/settings/site", null)).toString()).isEqualTo("{\"limits\":{\"max\":3},\"theme\":\"dark\"}");
        JsonNode first = op("comments", "c1", "{\"insert\": {\"value\": \"hello\"}}").path("value").get(0);
        JsonNode seq = op("comments", "c1", "{\"insert\": {\"before\": \"" + first.path("id").asText() + "\", \"value\": \"oh,\"}}");
        assertThat(seq.path("value").findValuesAsText("value")).containsExactly("oh,", "hello");
        assertThat(op("notes", "n", "{\"set\": 1}").path("value").toString()).isEqualTo("[1]");
    }

    @Test
    void badOperationsAre400NamingTheTypeAndApplyNothing() throws Exception {
        op("likes", "bad", "{\"increment\": 1}");
        for (String body : new String[] {"{\"add\": [\"x\"]}", "{\"increment\": \"lots\"}", "not json", "{}", "[1]",
                "{\"increment\": 1, \"jump\": 2}", "{\"increment\": 9223372036854775807}"}) {
            HttpResponse<String> r = send("POST", "/v1/crdt/likes/bad", body);
            JsonNode p = RegionNodeApiTest.problem(r, 400, "invalid-operation");
            assertThat(p.path("crdt_type").asText()).as(body).isEqualTo("counter");
        }
        assertThat(send("GET", "/v1/kv/likes/bad", null).body()).as("nothing applied").isEqualTo("1");
        HttpResponse<String> unknown = send("POST", "/v1/crdt/comments/c-none", "{\"delete\": \"eu-west:9\"}");
        RegionNodeApiTest.problem(unknown, 400, "invalid-operation");
        StringBuilder many = new StringBuilder("{\"add\": [");
        for (int i = 0; i < 200; i++) {
            many.append(i == 0 ? "" : ",").append("\"element-").append(i).append("\"");
        }
        RegionNodeApiTest.problem(send("POST", "/v1/crdt/tags/big", many + "]}"), 413, "value-too-large");
        assertThat(send("GET", "/v1/kv/tags/big", null).statusCode()).isEqualTo(404);
    }

    @Test
    void putAndDeleteAre405NamingThePostRouteAndKvKeyspacesRefuseCrdtOperations() throws Exception {
        HttpResponse<String> put = send("PUT", "/v1/kv/likes/x", "3");
        RegionNodeApiTest.problem(put, 405, "method-not-allowed");
        assertThat(put.body()).contains("POST /v1/crdt/likes/x");
        assertThat(put.headers().firstValue("Allow")).contains("GET, HEAD");
        RegionNodeApiTest.problem(send("DELETE", "/v1/kv/likes/x", null), 405, "method-not-allowed");
        RegionNodeApiTest.problem(send("POST", "/v1/crdt/cache/x", "{\"increment\": 1}"), 409, "wrong-policy");
        RegionNodeApiTest.problem(send("POST", "/v1/crdt/nowhere/x", "{\"increment\": 1}"), 404, "unknown-keyspace");
        RegionNodeApiTest.problem(send("GET", "/v1/crdt/likes/x", null), 405, "method-not-allowed");
    }

    @Test
    void aScanShowsEachValueAsJson() throws Exception {
        op("likes", "scan-a", "{\"increment\": 4}");
        JsonNode page = json(send("GET", "/v1/kv/likes?prefix=scan-", null));
        assertThat(page.path("items").get(0).path("value").asText()).isEqualTo("4");
        assertThat(page.path("items").get(0).path("content_type").asText()).isEqualTo("application/json");
    }
}
