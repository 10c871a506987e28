package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.core.ProblemType;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Asynchronous replication as users see it: the lab's three regions as real processes, every
 * byte between them through the WAN emulator at a fifth of the real delays.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ReplicationIT {
    private static final double SCALE = 0.2;
    /** The smallest retained log the configuration allows, so a test can outrun it. */
    private static final long RETAINED = 1_000;
    private static final Duration CONVERGE = Duration.ofSeconds(30);
    private static final List<String> REGIONS = LabTopology.REGIONS.stream().map(LabTopology.Region::name).toList();

    @TempDir
    static Path dir;
    Lab lab;
    final Map<String, MeridianClient> clients = new LinkedHashMap<>();

    @BeforeAll
    void up() {
        lab = LabFixture.up(dir, new LabTopology.Setup(SCALE, 0, 0, RETAINED));
        clients.putAll(LabFixture.clients(lab, MeridianClient.DEFAULT_TIMEOUT));
    }

    @AfterAll
    void down() throws Exception {
        LabFixture.down(lab, clients, dir);
    }

    private MeridianClient at(String region) {
        return clients.get(region);
    }

    private static Map<String, String> eventual() {
        return Map.of("Meridian-Consistency", "eventual");
    }

    /** Waits until every region answers the same value (or absence) for the key. */
    private String converged(String keyspace, String key) {
        String[] value = new String[1];
        await().atMost(CONVERGE).untilAsserted(() -> {
            Set<String> seen = new HashSet<>();
            for (String r : REGIONS) {
                seen.add(at(r).get(keyspace, key, eventual()).map(v -> v.version() + "=" + v.text()).orElse("absent"));
            }
            assertThat(seen).as(keyspace + "/" + key + " across regions").hasSize(1);
            value[0] = seen.iterator().next();
        });
        return value[0];
    }

    @Test
    void aSessionReadsItsOwnWriteInAFarRegionStraightAway() {
        MeridianClient.Written w = at("us-east").put("sessions", "ryw", "hello".getBytes(StandardCharsets.UTF_8),
                "text/plain", null, null);
        assertThat(w.session()).isEqualTo("us-east=" + w.version().substring("us-east:".length()));
        MeridianClient.Value v = at("ap-southeast").get("sessions", "ryw", Map.of("Meridian-Session", w.session())).orElseThrow();
        assertThat(v.text()).isEqualTo("hello");
        assertThat(v.version()).isEqualTo(w.version());
        assertThat(v.stalenessMs()).isNotNull();
    }

    @Test
    void withoutATokenAReadSeesTheWriteOnceReplicationArrives() {
        MeridianClient.Written w = at("us-east").put("sessions", "eventually", "v1");
        await().atMost(CONVERGE).untilAsserted(() ->
                assertThat(at("eu-west").get("sessions", "eventually", eventual())).hasValueSatisfying(v -> {
                    assertThat(v.version()).isEqualTo(w.version());
                    assertThat(v.region()).isEqualTo("eu-west");
                }));
    }

    @Test
    void writesToThePrimaryAndToAKeysHomeAreForwardedThere() {
        MeridianClient.Written catalog = at("ap-southeast").put("catalog", "book-1", "Dune");
        assertThat(catalog.region()).isEqualTo("us-east");
        assertThat(catalog.version()).startsWith("us-east:");

        MeridianClient.Written created = at("eu-west").put("profiles", "ada", "v1".getBytes(StandardCharsets.UTF_8),
                "text/plain", null, null);
        assertThat(created.region()).isEqualTo("eu-west");
        MeridianClient.Written updated = at("us-east").put("profiles", "ada", "v2".getBytes(StandardCharsets.UTF_8),
                "text/plain", null, null, Map.of("Meridian-Session", created.session()));
        assertThat(updated.region()).as("a write sent to us-east runs in the key's home").isEqualTo("eu-west");
        assertThat(converged("profiles", "ada")).endsWith("=v2");
    }

    @Test
    void twoRegionsCreatingOneHomeRegionKeyAtOnceSettleOnOneHomeEverywhere() {
        lab.partition("us-east", "ap-southeast");
        lab.partition("eu-west", "ap-southeast");
        lab.partition("us-east", "eu-west");
        MeridianClient.Written east;
        MeridianClient.Written south;
        try {
            east = at("us-east").put("profiles", "raced", "from us-east");
            south = at("ap-southeast").put("profiles", "raced", "from ap-southeast");
        } finally {
            lab.heal(null, null);
            lab.awaitReady(Duration.ofSeconds(60)); // write leases return once the control plane has a majority again
        }
        assertThat(east.region()).isEqualTo("us-east");
        assertThat(south.region()).isEqualTo("ap-southeast");
        String winner = converged("profiles", "raced");
        String loser = winner.startsWith(east.version() + "=") ? south.version() : east.version();
        String winnerOrigin = winner.substring(0, winner.indexOf(':'));
        for (String r : REGIONS) {
            HttpResponse<byte[]> read = at(r).raw(at(r).request("/v1/kv/profiles/raced")
                    .header("Meridian-Consistency", "eventual").GET());
            assertThat(read.headers().firstValue("Meridian-Home")).as("home seen in " + r).contains(winnerOrigin);
        }
        await().atMost(CONVERGE).untilAsserted(() -> {
            Set<String> losers = new HashSet<>();
            for (String r : List.of("us-east", "ap-southeast")) {
                at(r).getJson("/v1/conflicts/profiles?limit=1000").path("items").forEach(c -> {
                    if (c.path("key").asText().equals("raced")) {
                        losers.add(c.path("loser").path("version").asText());
                    }
                });
            }
            assertThat(losers).contains(loser);
        });
    }

    @Test
    void aKeysHomeMovesWithoutLosingWrites() throws Exception {
        MeridianClient.Written w = at("us-east").put("profiles", "mover", "before".getBytes(StandardCharsets.UTF_8),
                "text/plain", null, null);
        HttpResponse<byte[]> moved = at("us-east").raw(at("us-east").request("/v1/kv/profiles/mover/move-home?to=ap-southeast")
                .header("Meridian-Session", w.session()).POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertThat(moved.statusCode()).as(new String(moved.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        String session = moved.headers().firstValue("Meridian-Session").orElseThrow();
        MeridianClient.Written after = at("eu-west").put("profiles", "mover", "after".getBytes(StandardCharsets.UTF_8),
                "text/plain", null, null, Map.of("Meridian-Session", session));
        assertThat(after.region()).isEqualTo("ap-southeast");
        assertThat(converged("profiles", "mover")).startsWith("ap-southeast:").endsWith("=after");
    }

    @Test
    void boundedReadsAnswerLocallyWhenFreshEnoughAndElseAskTheAuthority() {
        at("us-east").put("catalog", "bounded", "x");
        converged("catalog", "bounded");
        MeridianClient.Value relaxed = at("ap-southeast").get("catalog", "bounded",
                Map.of("Meridian-Consistency", "bounded=60000")).orElseThrow();
        assertThat(relaxed.region()).isEqualTo("ap-southeast");
        assertThat(relaxed.stalenessMs()).isLessThanOrEqualTo(60_000);
        MeridianClient.Value strict = at("ap-southeast").get("catalog", "bounded",
                Map.of("Meridian-Consistency", "bounded=0")).orElseThrow();
        assertThat(strict.region()).as("too stale here: the primary answers").isEqualTo("us-east");
        assertThat(strict.stalenessMs()).isZero();
    }

    @Test
    void concurrentWritesToOneKeyInThreeRegionsConvergeAndTheLosersAreOnTheConflictFeed() throws Exception {
        // Cut every link so that no write can see another: all three are concurrent by construction.
        lab.partition("us-east", "eu-west");
        lab.partition("us-east", "ap-southeast");
        lab.partition("eu-west", "ap-southeast");
        CountDownLatch start = new CountDownLatch(1);
        Map<String, String> versions = new java.util.concurrent.ConcurrentHashMap<>();
        List<Thread> writers = new ArrayList<>();
        for (String r : REGIONS) {
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    versions.put(r, at(r).put("sessions", "contended", "from " + r).version());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        start.countDown();
        for (Thread t : writers) {
            t.join();
        }
        lab.heal(null, null);
        lab.awaitReady(Duration.ofSeconds(60)); // write leases return once the control plane has a majority again
        assertThat(versions).hasSize(3);
        String winner = converged("sessions", "contended");
        String winnerVersion = winner.substring(0, winner.indexOf('='));
        Set<String> losers = new HashSet<>(versions.values());
        losers.remove(winnerVersion);
        assertThat(losers).as("three writes that could not see each other: two lose").hasSize(2);
        for (String r : REGIONS) {
            await().atMost(CONVERGE).untilAsserted(() -> {
                Set<String> onFeed = new HashSet<>();
                at(r).getJson("/v1/conflicts/sessions?limit=1000").path("items").forEach(c -> {
                    if (c.path("key").asText().equals("contended")) {
                        onFeed.add(c.path("loser").path("version").asText());
                        assertThat(c.path("rule").asText()).startsWith("last-writer-wins");
                    }
                });
                assertThat(onFeed).as("conflict feed of " + r).containsAll(losers);
            });
        }
    }

    @Test
    void aPartitionedRegionConvergesAfterHealing() {
        lab.partition("eu-west", "us-east");
        lab.partition("eu-west", "ap-southeast");
        try {
            for (int i = 0; i < 20; i++) {
                at("us-east").put("sessions", "split-" + i, "us-" + i);
                at("eu-west").put("sessions", "split-" + i, "eu-" + i);
            }
            assertThat(at("ap-southeast").get("sessions", "split-0", eventual())).isNotEmpty();
        } finally {
            lab.heal(null, null);
            lab.awaitReady(Duration.ofSeconds(60)); // write leases return once the control plane has a majority again
        }
        for (int i = 0; i < 20; i++) {
            converged("sessions", "split-" + i);
        }
    }

    @Test
    void aRegionKilledMidStreamLosesNoAcknowledgedWriteAndResumes() throws Exception {
        Map<String, String> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<?> usEast = pool.submit(() -> writeUntil(stop, "us-east", "kill-us-", acknowledged));
            Future<?> apSoutheast = pool.submit(() -> writeUntil(stop, "ap-southeast", "kill-ap-", acknowledged));
            Thread.sleep(1_500);
            lab.kill("eu-west");
            Thread.sleep(1_000);
            lab.revive("eu-west", Duration.ofSeconds(120));
            Thread.sleep(1_000);
            stop.set(true);
            usEast.get();
            apSoutheast.get();
        }
        assertThat(acknowledged).hasSizeGreaterThan(20);
        await().atMost(CONVERGE).untilAsserted(() -> {
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                assertThat(at("eu-west").get("sessions", e.getKey(), eventual()).map(MeridianClient.Value::text))
                        .as(e.getKey()).contains(e.getValue());
            }
        });
        MeridianClient.Written after = at("us-east").put("sessions", "after-revive", "yes");
        await().atMost(CONVERGE).untilAsserted(() ->
                assertThat(at("eu-west").get("sessions", "after-revive", eventual())).isPresent());
        assertThat(after.version()).startsWith("us-east:");
    }

    private void writeUntil(AtomicBoolean stop, String region, String prefix, Map<String, String> acknowledged) {
        for (int i = 0; !stop.get(); i++) {
            try {
                at(region).put("sessions", prefix + i, "v" + i);
                acknowledged.put(prefix + i, "v" + i);
            } catch (MeridianClientException e) {
                throw new AssertionError("a healthy region refused a write: " + e.getMessage(), e);
            }
        }
    }

    @Test
    void aRegionThatWasDownCatchesUpFromAThirdRegionWhileTheOriginIsDown() {
        lab.kill("ap-southeast");
        try {
            for (int i = 0; i < 10; i++) {
                at("us-east").put("sessions", "relay-" + i, "r" + i);
            }
            await().atMost(CONVERGE).untilAsserted(() ->
                    assertThat(at("eu-west").get("sessions", "relay-9", eventual())).isPresent());
            lab.kill("us-east");
            lab.revive("ap-southeast", Duration.ofSeconds(120));
            await().atMost(CONVERGE).untilAsserted(() -> {
                for (int i = 0; i < 10; i++) {
                    assertThat(at("ap-southeast").get("sessions", "relay-" + i, eventual()).map(MeridianClient.Value::text))
                            .contains("r" + i);
                }
            });
        } finally {
            reviveIfDown("us-east");
            reviveIfDown("ap-southeast");
        }
        JsonNode cluster = at("us-east").getJson("/v1/cluster");
        assertThat(cluster.path("replication").path("watermarks").path("us-east").asLong()).isGreaterThanOrEqualTo(10);
    }

    private void reviveIfDown(String region) {
        Lab.RegionStatus status = lab.status().regions().stream().filter(r -> r.name().equals(region)).findFirst().orElseThrow();
        if (!status.running()) {
            lab.revive(region, Duration.ofSeconds(120));
        }
    }

    @Test
    void replicationHealthIsReportedExactly() {
        at("us-east").put("sessions", "health", "x");
        converged("sessions", "health");
        await().atMost(CONVERGE).untilAsserted(() -> {
            JsonNode replication = at("us-east").getJson("/v1/cluster").path("replication");
            assertThat(replication.path("unreplicated_writes").asLong()).isZero();
            for (JsonNode p : replication.path("peers")) {
                assertThat(p.path("lag_entries").asLong()).as(p.toString()).isZero();
                assertThat(p.path("bytes_sent").asLong()).isPositive();
            }
        });
        String metrics = new String(at("us-east").raw(at("us-east").request("/metrics").GET()).body(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("meridian_replication_lag_seconds{region=\"us-east\",source=\"us-east\",target=\"eu-west\"}")
                .contains("meridian_replication_lag_entries{region=\"us-east\",source=\"us-east\",target=\"ap-southeast\"}")
                .contains("meridian_replication_bytes_total{region=\"us-east\",source=\"us-east\",target=\"eu-west\"}");
    }

    @Test
    void aDeleteReplicatesAsATombstoneThatIsCollectedOnceEveryRegionHasIt() {
        at("eu-west").put("sessions", "doomed", "x");
        converged("sessions", "doomed");
        assertThat(at("us-east").delete("sessions", "doomed")).isTrue();
        assertThat(converged("sessions", "doomed")).isEqualTo("absent");
        await().atMost(CONVERGE).untilAsserted(() -> {
            for (String r : REGIONS) {
                JsonNode replication = at(r).getJson("/v1/cluster").path("replication");
                assertThat(replication.path("tombstones_pending").asLong()).as(r).isZero();
                assertThat(replication.path("tombstones_collected").asLong()).as(r).isPositive();
            }
        });
    }

    /**
     * Last: a wiped region comes back by snapshot for its asynchronous keyspaces and through a
     * membership change for its Raft groups, the control plane's included (issue 9, defect 1):
     * it serves the strong keyspace again, and votes again, so the groups keep a majority when
     * another region then goes down.
     */
    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
    void aRegionRebuiltEmptyJoinsBySnapshotAndNeverReusesASequence() {
        MeridianClient.Written mine = at("eu-west").put("sessions", "before-wipe", "eu");
        at("us-east").put("profiles", "wiped-home", "x".getBytes(StandardCharsets.UTF_8), "text/plain", null, null);
        at("us-east").put("accounts", "before-wipe", "100");
        converged("sessions", "before-wipe");
        converged("profiles", "wiped-home");
        lab.kill("eu-west");
        at("us-east").put("accounts", "while-wiped", "7");
        lab.revive("eu-west", Duration.ofSeconds(90), true);
        JsonNode replication = at("eu-west").getJson("/v1/cluster").path("replication");
        assertThat(replication.path("bootstrapped_from").asText()).isIn("us-east", "ap-southeast");
        assertThat(at("eu-west").get("profiles", "wiped-home", eventual())).as("present as soon as it serves").isPresent();
        assertThat(at("eu-west").get("sessions", "before-wipe", eventual())).isPresent();
        MeridianClient.Written next = at("eu-west").put("sessions", "after-wipe", "eu");
        long before = Long.parseLong(mine.version().substring("eu-west:".length()));
        long after = Long.parseLong(next.version().substring("eu-west:".length()));
        assertThat(after).isGreaterThan(before);
        converged("sessions", "after-wipe");

        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            assertThat(at("eu-west").get("accounts", "while-wiped", eventual())).hasValueSatisfying(v ->
                    assertThat(v.text()).isEqualTo("7"));
            for (JsonNode group : at("eu-west").getJson("/v1/cluster").path("strong")) {
                assertThat(group.path("membership").asText()).as(group.toString()).isEqualTo("voter");
            }
        });
        assertThat(at("eu-west").get("accounts", "before-wipe")).as("a linearizable read").hasValueSatisfying(v ->
                assertThat(v.text()).isEqualTo("100"));
        lab.kill("us-east");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                assertThat(at("ap-southeast").put("accounts", "after-wipe", "1").version()).as(
                        "the rebuilt region makes a majority with ap-southeast").isNotEmpty());
    }

    @Test
    void aRegionBehindTheRetainedLogCatchesUpBySnapshot() throws Exception {
        lab.kill("ap-southeast");
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < (RETAINED * 3 / 2) / 8 + 1; i++) {
                        at("us-east").put("catalog", "bulk-" + writer + "-" + i, "v" + i);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            lab.revive("ap-southeast", Duration.ofSeconds(90));
        }
        await().atMost(CONVERGE).untilAsserted(() -> {
            assertThat(at("ap-southeast").getJson("/v1/cluster").path("replication").path("bootstrapped_from").asText())
                    .isIn("us-east", "eu-west");
            assertThat(at("ap-southeast").get("catalog", "bulk-0-0", eventual())).isPresent();
            assertThat(at("ap-southeast").get("catalog", "bulk-7-" + (RETAINED * 3 / 2) / 8, eventual())).isPresent();
        });
        converged("catalog", "bulk-3-17");
    }

    @Test
    void badReplicationHeadersAreRefused() {
        for (Map<String, String> headers : List.of(Map.of("Meridian-Session", "us-east=abc"),
                Map.of("Meridian-Consistency", "linearizable"), Map.of("Meridian-Consistency", "strong"))) {
            try {
                at("us-east").get("sessions", "k", headers);
                throw new AssertionError("accepted " + headers);
            } catch (MeridianClientException e) {
                assertThat(e.status()).as(headers.toString()).isIn(400, 409);
            }
        }
        try {
            at("us-east").put("profiles", "nowhere", "x".getBytes(StandardCharsets.UTF_8), "text/plain", null, null,
                    Map.of("Meridian-Home", "mars"));
            throw new AssertionError("accepted an unknown home");
        } catch (MeridianClientException e) {
            assertThat(e.type()).isEqualTo(ProblemType.UNKNOWN_REGION);
        }
    }
}
