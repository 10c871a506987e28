package io.meridian.node;

import static io.meridian.node.RegionNodeApiTest.json;
import static io.meridian.node.RegionNodeApiTest.problem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Change feeds through the HTTP API of one real node: every write of a keyspace in apply order, as pages and as a subscription. */
class ChangeFeedApiTest {
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
                  - {name: sessions, policy: multi-master}
                  - {name: likes, policy: crdt, type: counter}
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

    @Test
    void everyWriteIsInTheFeedInApplyOrderAndASubscriptionFollowsIt() throws Exception {
        send("PUT", "/v1/kv/sessions/a", "1", "Content-Type", "text/plain");
        send("PUT", "/v1/kv/sessions/b", "2", "Content-Type", "text/plain");
        send("DELETE", "/v1/kv/sessions/a", null);
        JsonNode page = json(send("GET", "/v1/changes/sessions", null));
        assertThat(page.path("items").findValuesAsText("key")).containsExactly("a", "b", "a");
        assertThat(page.path("items").findValues("op").stream().map(JsonNode::asText).toList()).containsExactly("put", "put", "delete");
        assertThat(page.path("items").get(1).path("write").path("value").asText()).isEqualTo("2");
        assertThat(page.path("items").get(0).path("write").path("origin").asText()).isEqualTo("us-east");
        assertThat(page.path("last_position").asLong()).isEqualTo(3);
        JsonNode second = json(send("GET", "/v1/changes/sessions?from=2&limit=1", null));
        assertThat(second.path("items").get(0).path("position").asLong()).isEqualTo(2);
        assertThat(second.path("next").asLong()).isEqualTo(3);

        try (EventsApiTest.Subscription s = EventsApiTest.Subscription.open(base + "/v1/changes/sessions", "3")) {
            send("PUT", "/v1/kv/sessions/c", "3", "Content-Type", "text/plain");
            assertThat(s.next()).isEqualTo("4 put");
        }
        send("POST", "/v1/crdt/likes/p", "{\"increment\": 2}");
        assertThat(json(send("GET", "/v1/changes/likes", null)).path("items").findValuesAsText("key")).containsExactly("p");
    }

    @Test
    void aSubscriptionWaitingForTheNextWriteIsWokenByALocalOne() throws Exception {
        send("PUT", "/v1/kv/sessions/w1", "1", "Content-Type", "text/plain");
        String first = json(send("GET", "/v1/changes/sessions", null)).path("last_position").asText();
        try (EventsApiTest.Subscription s = EventsApiTest.Subscription.open(base + "/v1/changes/sessions", first)) {
            send("PUT", "/v1/kv/sessions/w2", "2", "Content-Type", "text/plain");
            s.next();
            Thread.sleep(300); // the subscription has sent its page and waits for the next write
            send("PUT", "/v1/kv/sessions/w3", "3", "Content-Type", "text/plain");
            // Well inside the 15 s keep-alive a waiting subscription otherwise ends its wait with (this node has no peers
            // whose batches would wake it).
            assertThat(s.next(java.time.Duration.ofSeconds(8))).endsWith(" put");
        }
    }

    @Test
    void keyspacesWithoutAFeedAndBadPositionsAreRefused() {
        problem(send("GET", "/v1/changes/cache", null), 501, "not-implemented");
        problem(send("GET", "/v1/changes/sessions?from=0", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/changes/sessions?from=x", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/changes/sessions?after=1", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/changes/nope", null), 404, "unknown-keyspace");
        problem(send("POST", "/v1/changes/sessions", "x"), 405, "method-not-allowed");
    }
}
