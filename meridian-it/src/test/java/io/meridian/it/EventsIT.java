package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.core.ProblemType;
import io.meridian.core.api.EventsView;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event-log keyspaces across real region processes behind the WAN emulator (a fifth of the real
 * delays): appends racing from three regions, subscribers in another region, and a stream's
 * home killed while its events are appended.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventsIT {
    private static final double SCALE = 0.2;
    private static final List<String> REGIONS = LabFixture.REGIONS;
    private static final RequestOptions EVENTUAL = RequestOptions.NONE.consistency("eventual");

    @TempDir
    static Path dir;
    Lab lab;
    Map<String, MeridianClient> clients;

    @BeforeAll
    void up() {
        lab = LabFixture.up(dir, new LabTopology.Setup(SCALE, 0, 0), "auto");
        clients = LabFixture.clients(lab, Duration.ofSeconds(15));
    }

    @AfterAll
    void down() throws Exception {
        LabFixture.down(lab, clients, dir);
    }

    private static String body(long expected, String... ids) {
        StringBuilder events = new StringBuilder();
        for (String id : ids) {
            events.append(events.isEmpty() ? "" : ", ").append("{\"id\": \"").append(id)
                    .append("\", \"type\": \"T\", \"data\": {\"last\": \"").append(id).append("\"}}");
        }
        return "{\"expected_version\": " + expected + ", \"events\": [" + events + "]}";
    }

    /** Every event of a stream as a region holds it: version → id. */
    private Map<Long, String> stream(String region, String stream) {
        Map<Long, String> out = new TreeMap<>();
        long from = 1;
        while (true) {
            EventsView.StreamPage page = clients.get(region).readStream("orders", stream, from, 1_000, true, EVENTUAL);
            page.events().forEach(e -> out.put(e.version(), e.id()));
            if (page.next() == null) {
                return out;
            }
            from = page.next();
        }
    }

    /** Waits until every region holds the same stream, and returns it. */
    private Map<Long, String> converged(String stream) {
        List<Map<Long, String>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
            seen.clear();
            for (String r : REGIONS) {
                seen.add(stream(r, stream));
            }
            assertThat(seen).as("stream %s in every region", stream).allMatch(s -> s.equals(seen.getFirst()));
        });
        return seen.getFirst();
    }

    @Test
    @Order(1)
    void appendsRacingFromThreeRegionsWinEachVersionOnceAndTheOthersGet409() throws Exception {
        clients.get("eu-west").append("orders", "race", body(0, UUID.randomUUID().toString()), RequestOptions.NONE);
        Map<Long, String> won = new ConcurrentHashMap<>();
        AtomicInteger refused = new AtomicInteger();
        List<Thread> writers = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (String r : REGIONS) {
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    long expected = 1;
                    for (int wins = 0; wins < 8; ) {
                        String a = UUID.randomUUID().toString();
                        String b = UUID.randomUUID().toString();
                        try {
                            MeridianClient.Appended done = clients.get(r).append("orders", "race", body(expected, a, b), RequestOptions.NONE);
                            assertThat(done.firstVersion()).isEqualTo(expected + 1);
                            assertThat(won.putIfAbsent(done.firstVersion(), a)).as("version %d won twice", done.firstVersion()).isNull();
                            assertThat(won.putIfAbsent(done.lastVersion(), b)).isNull();
                            expected = done.lastVersion();
                            wins++;
                        } catch (MeridianClientException e) {
                            assertThat(e.type()).as(e.getMessage()).isEqualTo(ProblemType.WRONG_EXPECTED_VERSION);
                            expected = e.problem().path("current_version").asLong();
                            refused.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : writers) {
            t.join();
        }
        assertThat(failures).isEmpty();
        assertThat(won.keySet()).hasSize(48).allMatch(v -> v >= 2 && v <= 49);
        assertThat(refused.get()).as("appends must have raced, or nothing was tested").isPositive();
        Map<Long, String> everywhere = converged("race");
        assertThat(everywhere).hasSize(49);
        won.forEach((version, id) -> assertThat(everywhere.get(version)).isEqualTo(id));
        System.out.printf("events: 48 appends won from three regions, %d refused with 409%n", refused.get());

        // The projection order-status (merge of each event's data) folds the same state in every region, a rebuild
        // by replay gives it again, and an as-of query gives the state at a version.
        for (String r : REGIONS) {
            await().atMost(Duration.ofSeconds(60)).until(() -> clients.get(r).projection("order-status", "race", EVENTUAL)
                    .filter(p -> p.version() == 49).isPresent());
            assertThat(clients.get(r).projection("order-status", "race", EVENTUAL).orElseThrow().state().path("last").asText())
                    .isEqualTo(everywhere.get(49L));
        }
        long generation = clients.get("eu-west").rebuildProjection("order-status").generation();
        await().atMost(Duration.ofSeconds(60)).until(() -> clients.get("eu-west").projections().stream()
                .anyMatch(p -> p.name().equals("order-status") && p.generation() > generation));
        assertThat(clients.get("eu-west").projection("order-status", "race", EVENTUAL).orElseThrow().state().path("last").asText())
                .isEqualTo(everywhere.get(49L));
        assertThat(clients.get("ap-southeast").asOf("orders", "race", "order-status", 10, null, EVENTUAL).state()
                .path("last").asText()).isEqualTo(everywhere.get(10L));
    }

    /**
     * A subscriber in ap-southeast follows a stream appended in us-east whose home then moves to
     * eu-west: it sees every version once, in order, although the new home's appends and the old
     * home's can reach it in either order.
     */
    @Test
    @Order(2)
    void aSubscriberInAnotherRegionSeesEachEventOnceInOrderAcrossAHomeMove() throws Exception {
        String stream = "watched";
        clients.get("us-east").append("orders", stream, body(0, UUID.randomUUID().toString()), RequestOptions.NONE.home("us-east"));
        List<Long> versions = new CopyOnWriteArrayList<>();
        AtomicLong latencyMillis = new AtomicLong();
        Thread subscriber = Thread.ofPlatform().start(() -> clients.get("ap-southeast").subscribe("orders", stream, 0,
                RequestOptions.NONE, e -> {
                    versions.add(e.version());
                    latencyMillis.addAndGet(System.currentTimeMillis() - java.time.Instant.parse(e.time()).toEpochMilli());
                    return versions.size() < 31;
                }));
        for (int i = 0; i < 15; i++) {
            clients.get("us-east").append("orders", stream, body(-1, UUID.randomUUID().toString()), RequestOptions.NONE);
        }
        MeridianClient us = clients.get("us-east");
        var moved = us.raw(us.request("/v1/kv/orders/" + stream + "/move-home?to=eu-west")
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertThat(moved.statusCode()).as(new String(moved.body())).isEqualTo(200);
        String session = moved.headers().firstValue("Meridian-Session").orElseThrow();
        for (int i = 0; i < 15; i++) {
            MeridianClient.Appended a = us.append("orders", stream, body(-1, UUID.randomUUID().toString()),
                    RequestOptions.NONE.session(session));
            assertThat(a.region()).as("appended by the new home").isEqualTo("eu-west");
            session = a.session();
        }
        subscriber.join(60_000);
        assertThat(subscriber.isAlive()).as("the subscriber got every event").isFalse();
        assertThat(versions).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 31).boxed().toList());
        System.out.printf("events: append to an SSE subscriber in ap-southeast, mean %d ms (one-way delays %.0f and %.0f ms)%n",
                latencyMillis.get() / versions.size(), 108 * SCALE, 88 * SCALE);
    }

    /**
     * A stream's home is killed while another region appends to it: the stream fails over with
     * the home's keys, appends go on, and once the home is back every acknowledged event is in
     * the stream in every region or on the conflict feed as lost: none vanishes, no version has two events.
     */
    @Test
    @Order(3)
    void appendsSurviveTheirHomesOutageAndNoAcknowledgedEventVanishes() throws Exception {
        String stream = "outage";
        clients.get("eu-west").append("orders", stream, body(0, UUID.randomUUID().toString()), RequestOptions.NONE.home("us-east"));
        Map<String, String> acknowledged = new ConcurrentHashMap<>(); // event id -> the write that carried it
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, Integer> errors = new ConcurrentHashMap<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            String pending = null;
            while (!stop.get()) {
                String id = pending != null ? pending : UUID.randomUUID().toString();
                try {
                    MeridianClient.Appended a = clients.get("eu-west").append("orders", stream, body(-1, id), RequestOptions.NONE);
                    acknowledged.put(id, a.region());
                    pending = null;
                } catch (RuntimeException e) {
                    // Retried with the same id: appended once, whatever happened to the first try.
                    pending = id;
                    errors.merge(e instanceof MeridianClientException m ? m.type().slug() + " " + m.getMessage()
                            : e.toString(), 1, Integer::sum);
                    sleep(100);
                }
            }
        });
        sleep(2_000);
        lab.kill("us-east");
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.values().stream().anyMatch(r -> !r.equals("us-east")));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no append served by a region acting for us-east; the writer saw " + errors, e);
        }
        int before = acknowledged.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= before + 10);
        lab.revive("us-east", Duration.ofSeconds(90));
        sleep(2_000);
        stop.set(true);
        writer.join(30_000);
        Map<Long, String> everywhere = converged(stream);
        Set<String> held = Set.copyOf(everywhere.values());
        assertThat(held).as("no event twice").hasSize(everywhere.size());
        List<String> lost = new ArrayList<>();
        for (String id : acknowledged.keySet()) {
            if (!held.contains(id)) {
                lost.add(id);
            }
        }
        if (!lost.isEmpty()) {
            // Acknowledged by the old home and never shipped: each must be on the conflict feed as lost.
            String feed = clients.get("us-east").getJson("/v1/conflicts/orders?limit=1000").toString();
            assertThat(lost).allSatisfy(id -> assertThat(feed).contains(id.substring(0, 8)));
        }
        System.out.printf("events: %d appends acknowledged across the home's outage, %d lost and on the conflict feed%n",
                acknowledged.size(), lost.size());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
