package io.meridian.node;

import static io.meridian.node.RegionNodeApiTest.json;
import static io.meridian.node.RegionNodeApiTest.problem;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Idempotency-Key} on one real node, for every policy: a retried write is answered as the
 * first was and applies nothing; the key with another request is refused; a malformed key is a
 * malformed header.
 */
class IdempotencyApiTest {
    @TempDir
    static Path dir;
    static RegionNode node;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        int consensus = FreePorts.take(1)[0];
        node = RegionNodeApiTest.started(dir.resolve("data"), """
                regions:
                  - {name: us-east, http: 127.0.0.1:0, consensus: 127.0.0.1:%d}
                keyspaces:
                  - {name: cache, policy: local}
                  - {name: sessions, policy: multi-master}
                  - {name: profiles, policy: home-region}
                  - {name: catalog, policy: primary, primary: us-east}
                  - {name: likes, policy: crdt, type: counter}
                  - {name: orders, policy: event-log}
                  - {name: accounts, policy: strong}
                """.formatted(consensus));
        base = "http://127.0.0.1:" + node.port();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String... headers) {
        return RegionNodeApiTest.sendTo(base, method, path, body, headers);
    }

    private static void assertRetriedPut(String keyspace) {
        String path = "/v1/kv/" + keyspace + "/retried";
        HttpResponse<String> first = send("PUT", path, "one", "Idempotency-Key", keyspace + "-put-1", "If-None-Match", "*");
        assertThat(first.statusCode()).as(keyspace + ": " + first.body()).isEqualTo(201);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        // The retry's create-only condition no longer holds: it is answered as the write it repeats, not refused.
        HttpResponse<String> again = send("PUT", path, "one", "Idempotency-Key", keyspace + "-put-1", "If-None-Match", "*");
        assertThat(again.statusCode()).as(keyspace + ": " + again.body()).isEqualTo(201);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).as(keyspace).contains("true");
        assertThat(again.headers().firstValue("ETag")).isEqualTo(first.headers().firstValue("ETag"));
        assertThat(json(again).path("version").asText()).isEqualTo(json(first).path("version").asText());
        assertThat(again.headers().firstValue("Meridian-Session")).isEqualTo(first.headers().firstValue("Meridian-Session"));

        // The key with another value: refused, and nothing is written.
        problem(send("PUT", path, "two", "Idempotency-Key", keyspace + "-put-1"), 422, "idempotency-key-reused");
        HttpResponse<String> read = send("GET", path, null);
        assertThat(read.body()).isEqualTo("one");
        assertThat(read.headers().firstValue("ETag")).isEqualTo(first.headers().firstValue("ETag"));

        // A second write with its own key is a write; a write without a key is one every time.
        HttpResponse<String> second = send("PUT", path, "two", "Idempotency-Key", keyspace + "-put-2");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("ETag")).isNotEqualTo(first.headers().firstValue("ETag"));
        HttpResponse<String> plain1 = send("PUT", path, "two", new String[0]);
        HttpResponse<String> plain2 = send("PUT", path, "two", new String[0]);
        assertThat(plain2.headers().firstValue("ETag")).isNotEqualTo(plain1.headers().firstValue("ETag"));

        // A delete retried: answered 204 again though the key is gone, not 404.
        HttpResponse<String> delete = send("DELETE", path, null, "Idempotency-Key", keyspace + "-delete-1");
        assertThat(delete.statusCode()).as(keyspace + ": " + delete.body()).isEqualTo(204);
        HttpResponse<String> deleteAgain = send("DELETE", path, null, "Idempotency-Key", keyspace + "-delete-1");
        assertThat(deleteAgain.statusCode()).as(keyspace + ": " + deleteAgain.body()).isEqualTo(204);
        assertThat(deleteAgain.headers().firstValue("Idempotent-Replayed")).as(keyspace).contains("true");
        assertThat(send("GET", path, null).statusCode()).isEqualTo(404);
        problem(send("DELETE", path, null, "Idempotency-Key", keyspace + "-put-2"), 422, "idempotency-key-reused");
    }

    @Test
    void aRetriedWriteOfALocalKeyspaceIsAppliedOnce() {
        assertRetriedPut("cache");
    }

    @Test
    void aRetriedWriteOfEachAsynchronouslyReplicatedPolicyIsAppliedOnce() {
        assertRetriedPut("sessions");
        assertRetriedPut("profiles");
        assertRetriedPut("catalog");
    }

    @Test
    void aRetriedCrdtOperationCountsOnce() {
        HttpResponse<String> first = send("POST", "/v1/crdt/likes/post-1", "{\"increment\": 5}", "Idempotency-Key", "like-1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        HttpResponse<String> again = send("POST", "/v1/crdt/likes/post-1", "{\"increment\": 5}", "Idempotency-Key", "like-1");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(json(again).path("value").asLong()).isEqualTo(5);
        assertThat(json(again).path("version").asText()).isEqualTo(json(first).path("version").asText());
        problem(send("POST", "/v1/crdt/likes/post-1", "{\"increment\": 6}", "Idempotency-Key", "like-1"), 422,
                "idempotency-key-reused");
        assertThat(json(send("POST", "/v1/crdt/likes/post-1", "{\"increment\": 1}", "Idempotency-Key", "like-2"))
                .path("value").asLong()).isEqualTo(6);
    }

    @Test
    void aRetriedAppendIsRecognisedByItsEventIds() {
        String body = "{\"events\": [{\"id\": \"0b6c0e1c-3f5e-4c1a-9d3e-2f1a7c9b8d01\", \"type\": \"placed\", \"data\": {}}]}";
        HttpResponse<String> first = send("POST", "/v1/events/orders/order-1", body, "Idempotency-Key", "append-1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        HttpResponse<String> again = send("POST", "/v1/events/orders/order-1", body, "Idempotency-Key", "append-1");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(json(again).path("already_appended").asBoolean()).isTrue();
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(json(send("GET", "/v1/events/orders/order-1", null)).path("events")).hasSize(1);
    }

    @Test
    void aRetriedStrongWriteCommitsOnce() throws Exception {
        HttpResponse<String> first = null;
        for (int i = 0; i < 100 && (first == null || first.statusCode() >= 500); i++) {
            first = send("PUT", "/v1/kv/accounts/a", "10", "Idempotency-Key", "deposit-1");
            if (first.statusCode() >= 500) {
                Thread.sleep(200); // until the group of one has elected itself
            }
        }
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        HttpResponse<String> again = send("PUT", "/v1/kv/accounts/a", "10", "Idempotency-Key", "deposit-1");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
        assertThat(again.headers().firstValue("ETag")).isEqualTo(first.headers().firstValue("ETag"));
        String txn = "{\"then\": [{\"add\": {\"key\": \"a\", \"delta\": 5}}]}";
        assertThat(send("POST", "/v1/txn/accounts", txn, "Idempotency-Key", "add-1").statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/txn/accounts", txn, "Idempotency-Key", "add-1").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/kv/accounts/a", null).body()).isEqualTo("15");
        HttpResponse<String> plain = send("PUT", "/v1/kv/accounts/a", "10", new String[0]);
        assertThat(plain.headers().firstValue("ETag")).isNotEqualTo(first.headers().firstValue("ETag"));
    }

    @Test
    void aMalformedKeyIsAMalformedHeaderAndWritesNothing() {
        problem(send("PUT", "/v1/kv/cache/bad", "v", "Idempotency-Key", "two words"), 400, "malformed-header");
        problem(send("PUT", "/v1/kv/sessions/bad", "v", "Idempotency-Key", "x".repeat(256)), 400, "malformed-header");
        assertThat(send("GET", "/v1/kv/cache/bad", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/v1/kv/sessions/bad", null).statusCode()).isEqualTo(404);
    }
}
