package io.meridian.node;

import static io.meridian.node.RegionNodeApiTest.json;
import static io.meridian.node.RegionNodeApiTest.problem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event-log keyspaces through the HTTP API of one real node: appends, reads, subscriptions, refusals. */
class EventsApiTest {
    static final String CONFIG = """
            regions:
              - {name: us-east, http: 127.0.0.1:0}
            keyspaces:
              - name: orders
                policy: event-log
                max-value-bytes: 4096
                projections:
                  - {name: order-status, type: merge}
                  - {name: counts, class: io.meridian.node.CountByType}
                  - {name: fragile, class: io.meridian.node.FailsOnBoom}
              - {name: cache, policy: local}
            """;
    @TempDir
    static Path dir;
    static RegionNode node;
    static String base;

    @BeforeAll
    static void start() {
        node = RegionNodeApiTest.started(dir.resolve("data"), CONFIG);
        base = "http://127.0.0.1:" + node.port();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String... headers) {
        return RegionNodeApiTest.sendTo(base, method, path, body, headers);
    }

    static String event(String id, String type, String data) {
        return "{\"id\": \"" + id + "\", \"type\": \"" + type + "\", \"data\": " + data + "}";
    }

    static String batch(Long expected, String... events) {
        return "{" + (expected == null ? "" : "\"expected_version\": " + expected + ", ") + "\"events\": ["
                + String.join(", ", events) + "]}";
    }

    static String id() {
        return UUID.randomUUID().toString();
    }

    @Test
    void anAppendNumbersEventsFromOneAndTheStreamReadsBackInBothDirections() {
        HttpResponse<String> first = send("POST", "/v1/events/orders/o-1", batch(0L,
                event(id(), "OrderPlaced", "{\"total\": 30}"), event(id(), "ItemAdded", "{\"sku\": \"a\"}")));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(json(first).path("first_version").asLong()).isEqualTo(1);
        assertThat(json(first).path("last_version").asLong()).isEqualTo(2);
        assertThat(json(first).path("home").asText()).isEqualTo("us-east");
        assertThat(first.headers().firstValue("Meridian-Session")).isPresent();
        HttpResponse<String> second = send("POST", "/v1/events/orders/o-1", batch(2L, event(id(), "OrderPaid", "{}")));
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(json(second).path("first_version").asLong()).isEqualTo(3);

        JsonNode forward = json(send("GET", "/v1/events/orders/o-1?limit=2", null));
        assertThat(forward.path("last_version").asLong()).isEqualTo(3);
        assertThat(forward.path("events").findValuesAsText("type")).containsExactly("OrderPlaced", "ItemAdded");
        assertThat(forward.path("events").get(0).path("data").path("total").asInt()).isEqualTo(30);
        assertThat(forward.path("events").get(0).path("origin").asText()).isEqualTo("us-east");
        assertThat(forward.path("next").asLong()).isEqualTo(3);
        JsonNode rest = json(send("GET", "/v1/events/orders/o-1?from=3", null));
        assertThat(rest.path("events").findValuesAsText("type")).containsExactly("OrderPaid");
        assertThat(rest.path("next").isNull()).isTrue();
        JsonNode backward = json(send("GET", "/v1/events/orders/o-1?direction=backward&limit=2", null));
        assertThat(backward.path("events").findValues("version").stream().map(JsonNode::asLong).toList()).containsExactly(3L, 2L);
        assertThat(backward.path("next").asLong()).isEqualTo(1);
    }

    @Test
    void aWrongExpectedVersionAppendsNothingAndSaysWhereTheStreamIs() {
        assertThat(send("POST", "/v1/events/orders/o-2", batch(0L, event(id(), "A", "1"))).statusCode()).isEqualTo(201);
        JsonNode p = problem(send("POST", "/v1/events/orders/o-2", batch(5L, event(id(), "B", "2"))), 409, "wrong-expected-version");
        assertThat(p.path("current_version").asLong()).isEqualTo(1);
        assertThat(p.path("expected_version").asLong()).isEqualTo(5);
        problem(send("POST", "/v1/events/orders/o-2", batch(0L, event(id(), "B", "2"))), 409, "wrong-expected-version");
        assertThat(json(send("GET", "/v1/events/orders/o-2", null)).path("last_version").asLong()).isEqualTo(1);
    }

    @Test
    void aRetriedAppendIsAnsweredAgainAndAppendsNothingTwice() {
        String a = id();
        String b = id();
        String body = batch(null, event(a, "A", "1"), event(b, "B", "2"));
        HttpResponse<String> once = send("POST", "/v1/events/orders/o-3", body);
        HttpResponse<String> twice = send("POST", "/v1/events/orders/o-3", body);
        assertThat(twice.statusCode()).isEqualTo(200);
        assertThat(json(twice).path("already_appended").asBoolean()).isTrue();
        assertThat(json(twice).path("first_version").asLong()).isEqualTo(json(once).path("first_version").asLong());
        assertThat(json(twice).path("last_version").asLong()).isEqualTo(2);
        // A retry that expected the version before the first attempt is still a retry, not a conflict.
        assertThat(send("POST", "/v1/events/orders/o-3", batch(0L, event(a, "A", "1"), event(b, "B", "2"))).statusCode())
                .isEqualTo(200);
        JsonNode p = problem(send("POST", "/v1/events/orders/o-3", batch(null, event(id(), "C", "3"), event(b, "B", "2"))),
                409, "duplicate-event");
        assertThat(p.path("id").asText()).isEqualTo(b);
        assertThat(json(send("GET", "/v1/events/orders/o-3", null)).path("events").size()).isEqualTo(2);
    }

    @Test
    void malformedAppendsAreRefusedWithAReasonAndAppendNothing() {
        String path = "/v1/events/orders/o-bad";
        problem(send("POST", path, "{not json"), 400, "invalid-events");
        problem(send("POST", path, "{\"events\": []}"), 400, "invalid-events");
        problem(send("POST", path, batch(null, event("not-a-uuid", "A", "1"))), 400, "invalid-events");
        problem(send("POST", path, batch(null, "{\"id\": \"" + id() + "\", \"data\": 1}")), 400, "invalid-events");
        problem(send("POST", path, batch(null, "{\"id\": \"" + id() + "\", \"type\": \"A\", \"colour\": 1}")), 400, "invalid-events");
        problem(send("POST", path, "{\"expected_version\": -2, \"events\": [" + event(id(), "A", "1") + "]}"), 400, "invalid-events");
        String same = id();
        problem(send("POST", path, batch(null, event(same, "A", "1"), event(same, "A", "1"))), 400, "invalid-events");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 1_001; i++) {
            many.add("{\"id\":\"" + id() + "\",\"type\":\"A\"}");
        }
        HttpResponse<String> tooMany = send("POST", path, batch(null, many.toArray(String[]::new)));
        assertThat(tooMany.statusCode()).isIn(400, 413);
        problem(send("POST", path, batch(null, event(id(), "A", "\"" + "x".repeat(5_000) + "\""))), 413, "value-too-large");
        problem(send("POST", "/v1/events/orders/$mine", batch(null, event(id(), "A", "1"))), 400, "invalid-key");
        problem(send("GET", path, null), 404, "stream-not-found");
        problem(send("POST", "/v1/events/nope/s", batch(null, event(id(), "A", "1"))), 404, "unknown-keyspace");
        problem(send("POST", "/v1/events/cache/s", batch(null, event(id(), "A", "1"))), 409, "wrong-policy");
        problem(send("PUT", "/v1/kv/orders/o-1", "x"), 409, "wrong-policy");
        problem(send("GET", "/v1/events/orders/o-1?from=-1", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/events/orders/o-1?direction=sideways", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/events/orders/$all?from=x", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/events/orders/$all?colour=1", null), 400, "invalid-parameter");
    }

    @Test
    void allOrdersEveryEventOfTheKeyspaceByPosition() {
        long before = json(send("GET", "/v1/events/orders/$all?limit=1", null)).path("last_position").asLong();
        send("POST", "/v1/events/orders/all-a", batch(null, event(id(), "A1", "1"), event(id(), "A2", "2")));
        send("POST", "/v1/events/orders/all-b", batch(null, event(id(), "B1", "3")));
        JsonNode page = json(send("GET", "/v1/events/orders/$all?from=" + (before + 1), null));
        assertThat(page.path("events").findValuesAsText("type")).containsExactly("A1", "A2", "B1");
        assertThat(page.path("events").findValues("position").stream().map(JsonNode::asLong).toList())
                .containsExactly(before + 1, before + 2, before + 3);
        assertThat(page.path("events").findValuesAsText("stream")).containsExactly("all-a", "all-a", "all-b");
        JsonNode streams = json(send("GET", "/v1/kv/orders?prefix=all-", null));
        assertThat(streams.path("items").findValuesAsText("stream")).containsExactly("all-a", "all-b");
        assertThat(streams.path("items").get(0).path("last_version").asLong()).isEqualTo(2);
    }

    @Test
    void aSubscriptionCatchesUpThenFollowsAndResumesAfterTheLastEventItSaw() throws Exception {
        send("POST", "/v1/events/orders/sub", batch(null, event(id(), "E1", "1"), event(id(), "E2", "2")));
        try (Subscription s = Subscription.open(base + "/v1/events/orders/sub", null)) {
            assertThat(s.next()).startsWith("1 E1");
            assertThat(s.next()).startsWith("2 E2");
            send("POST", "/v1/events/orders/sub", batch(2L, event(id(), "E3", "3")));
            assertThat(s.next()).startsWith("3 E3");
        }
        send("POST", "/v1/events/orders/sub", batch(3L, event(id(), "E4", "4")));
        try (Subscription s = Subscription.open(base + "/v1/events/orders/sub", "3")) {
            assertThat(s.next()).startsWith("4 E4");
        }
        problem(send("GET", "/v1/events/orders/sub", null, "Accept", "text/event-stream", "Meridian-Consistency", "strong"),
                400, "invalid-parameter");
    }

    /**
     * A region restart between two subscriptions: the second, resumed from the first's last event
     * id, sees every later event once, and {@code $all} positions read before the restart are unchanged.
     */
    @Test
    void aSubscriberResumesAcrossARestartWithNoGapAndNoDuplicate() throws Exception {
        Path data = dir.resolve("restart");
        RegionNode one = RegionNodeApiTest.started(data, CONFIG);
        String url = "http://127.0.0.1:" + one.port();
        for (int i = 1; i <= 5; i++) {
            RegionNodeApiTest.sendTo(url, "POST", "/v1/events/orders/r", batch(null, event(id(), "E" + i, "" + i)));
        }
        List<String> seen = new ArrayList<>();
        String before;
        try (Subscription s = Subscription.open(url + "/v1/events/orders/$all", null)) {
            for (int i = 0; i < 3; i++) {
                seen.add(s.next());
            }
        }
        before = RegionNodeApiTest.sendTo(url, "GET", "/v1/events/orders/$all", null).body();
        try (Subscription open = Subscription.open(url + "/v1/events/orders/r", null)) {
            open.next(); // a subscriber still connected does not hold the region's stop up
            long stopping = System.nanoTime();
            one.close();
            assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("stop, not hang").isLessThan(Duration.ofSeconds(30));
        }
        RegionNode two = RegionNodeApiTest.started(data, CONFIG);
        try {
            String url2 = "http://127.0.0.1:" + two.port();
            assertThat(json(RegionNodeApiTest.sendTo(url2, "GET", "/v1/events/orders/$all", null)).path("events"))
                    .isEqualTo(io.meridian.core.api.ApiJson.MAPPER.readTree(before).path("events"));
            RegionNodeApiTest.sendTo(url2, "POST", "/v1/events/orders/r", batch(5L, event(id(), "E6", "6")));
            try (Subscription s = Subscription.open(url2 + "/v1/events/orders/$all", seen.getLast().split(" ")[0])) {
                for (int i = 0; i < 3; i++) {
                    seen.add(s.next());
                }
            }
        } finally {
            two.close();
        }
        assertThat(seen.stream().map(l -> l.split(" ")[1]).toList()).containsExactly("E1", "E2", "E3", "E4", "E5", "E6");
        assertThat(seen.stream().map(l -> Long.parseLong(l.split(" ")[0])).toList()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    /** A Server-Sent Events subscription read on its own thread: each event as "id type". */
    static final class Subscription implements AutoCloseable {
        private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final Thread reader;
        private volatile InputStream body;

        private Subscription(HttpRequest request) {
            reader = Thread.ofPlatform().daemon().start(() -> {
                try {
                    HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                    body = r.body();
                    if (r.statusCode() != 200) {
                        events.add("HTTP " + r.statusCode() + " " + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
                        return;
                    }
                    BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
                    String id = null;
                    String type = null;
                    for (String line; (line = lines.readLine()) != null; ) {
                        if (line.startsWith("id: ")) {
                            id = line.substring(4);
                        } else if (line.startsWith("event: ")) {
                            type = line.substring(7);
                        } else if (line.isEmpty() && id != null) {
                            events.add(id + " " + type);
                            id = null;
                        }
                    }
                } catch (Exception e) {
                    // closed by the test
                }
            });
        }

        static Subscription open(String url, String lastEventId) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            return new Subscription(b.build());
        }

        String next() throws InterruptedException {
            return next(Duration.ofSeconds(30));
        }

        String next(Duration within) throws InterruptedException {
            String e = events.poll(within.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).as("an event within " + within).isNotNull();
            return e;
        }

        @Override
        public void close() throws Exception {
            InputStream b = body;
            if (b != null) {
                b.close();
            }
            http.shutdownNow();
            reader.join(10_000);
        }
    }

    private static JsonNode awaitState(String projection, String stream, long version) {
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    json(send("GET", "/v1/projections/" + projection + "/" + stream, null)).path("version").asLong() == version);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("projection " + projection + " of " + stream + " did not reach version " + version + ": "
                    + send("GET", "/v1/projections/" + projection + "/" + stream, null).body() + "; "
                    + send("GET", "/v1/projections/" + projection, null).body(), e);
        }
        return json(send("GET", "/v1/projections/" + projection + "/" + stream, null));
    }

    @Test
    void projectionsFoldEachStreamAndRebuildToTheSameReadModel() {
        send("POST", "/v1/events/orders/p-1", batch(null, event(id(), "OrderPlaced", "{\"status\": \"placed\", \"total\": 30}"),
                event(id(), "OrderPaid", "{\"status\": \"paid\", \"paid\": {\"by\": \"card\"}}")));
        send("POST", "/v1/events/orders/p-1", batch(null, event(id(), "Noted", "{\"total\": null, \"note\": \"gift\"}")));
        JsonNode status = awaitState("order-status", "p-1", 3);
        assertThat(status.path("state").toString()).isEqualTo("{\"status\":\"paid\",\"paid\":{\"by\":\"card\"},\"note\":\"gift\"}");
        assertThat(awaitState("counts", "p-1", 3).path("state").toString()).isEqualTo("{\"OrderPlaced\":1,\"OrderPaid\":1,\"Noted\":1}");
        JsonNode list = json(send("GET", "/v1/projections", null));
        assertThat(list.path("items").findValuesAsText("name")).containsExactly("order-status", "counts", "fragile");

        HttpResponse<String> rebuild = send("POST", "/v1/projections/order-status/rebuild", null);
        assertThat(rebuild.statusCode()).isEqualTo(202);
        long generation = json(rebuild).path("generation").asLong();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                json(send("GET", "/v1/projections/order-status", null)).path("generation").asLong() > generation);
        assertThat(json(send("GET", "/v1/projections/order-status/p-1", null)).path("state")).isEqualTo(status.path("state"));
        assertThat(json(send("GET", "/v1/cluster", null)).path("projections").findValuesAsText("name")).contains("order-status");
        assertThat(send("GET", "/metrics", null).body()).contains("meridian_projection_lag_events{projection=\"order-status\"");
        problem(send("GET", "/v1/projections/nope", null), 404, "unknown-projection");
        problem(send("GET", "/v1/projections/order-status/never", null), 404, "stream-not-found");
        problem(send("GET", "/v1/projections/order-status/rebuild", null), 405, "method-not-allowed");
    }

    @Test
    void anAsOfQueryReplaysFromTheNearestSnapshotToTheVersionOrTimeAsked() throws Exception {
        for (int b = 0; b < 10; b++) {
            String[] events = new String[25];
            for (int i = 0; i < 25; i++) {
                events[i] = event(id(), "Step", "{\"n\": " + (b * 25 + i + 1) + "}");
            }
            assertThat(send("POST", "/v1/events/orders/asof", batch(null, events)).statusCode()).isIn(200, 201);
            if (b == 3) {
                Thread.sleep(20); // versions 1-100 appended before this instant, 101 and later after
            }
        }
        awaitState("order-status", "asof", 250);
        JsonNode at120 = json(send("GET", "/v1/events/orders/asof/state?projection=order-status&version=120", null));
        assertThat(at120.path("state").path("n").asInt()).isEqualTo(120);
        assertThat(at120.path("from_snapshot").asLong()).isEqualTo(100);
        assertThat(at120.path("replayed_events").asLong()).isEqualTo(20);
        JsonNode at40 = json(send("GET", "/v1/events/orders/asof/state?projection=counts&version=40", null));
        assertThat(at40.path("state").path("Step").asInt()).isEqualTo(40);
        assertThat(at40.path("replayed_events").asLong()).isEqualTo(40);
        JsonNode events = json(send("GET", "/v1/events/orders/asof?from=100&limit=1", null));
        String time = events.path("events").get(0).path("time").asText();
        JsonNode atTime = json(send("GET", "/v1/events/orders/asof/state?projection=order-status&at=" + time, null));
        assertThat(atTime.path("version").asLong()).isEqualTo(100);
        assertThat(atTime.path("state").path("n").asInt()).isEqualTo(100);
        problem(send("GET", "/v1/events/orders/asof/state?projection=order-status&version=999", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/events/orders/asof/state?projection=order-status", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/events/orders/asof/state?version=3", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/events/orders/asof/state?projection=nope&version=3", null), 404, "unknown-projection");
        problem(send("GET", "/v1/events/orders/asof/state?projection=counts&at=yesterday", null), 400, "invalid-parameter");
        problem(send("GET", "/v1/events/orders/asof/state?projection=counts&at=2000-01-01T00:00:00Z", null), 404, "stream-not-found");
    }

    @Test
    void aProjectionThatCannotFoldAnEventSaysSoAndStaysThereWhileTheOthersGoOn() {
        send("POST", "/v1/events/orders/boom", batch(null, event(id(), "Boom", "{}")));
        send("POST", "/v1/events/orders/after-boom", batch(null, event(id(), "Fine", "{\"ok\": true}")));
        awaitState("order-status", "after-boom", 1);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                json(send("GET", "/v1/projections/fragile", null)).path("error").asText().contains("cannot fold a Boom"));
        assertThat(json(send("GET", "/v1/projections/fragile", null)).path("lag").asLong()).isPositive();
        assertThat(awaitState("counts", "boom", 1).path("state").path("Boom").asInt()).isEqualTo(1);
    }
}
