package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The region-aware client on real processes: the region it uses is SIGKILLed mid-workload, and
 * it goes on in another region. The lab runs at a fifth of the real delays, with automatic
 * failover and an RPO budget of 0 on the key-value keyspaces (an acknowledged write is held by
 * another region), so read-your-writes can be checked for every acknowledged write.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientFailoverIT {
    private static final String ORDER_EVENT = "6f1c2a7e-0d4b-4c3e-9a51-2b7d8e9f0a13";

    @TempDir
    static Path dir;
    Lab lab;
    MeridianClient client;
    MeridianClient euWest;

    @BeforeAll
    void up() {
        lab = LabFixture.up(dir, new LabTopology.Setup(0.2, 0, 0).withRpoBudget("0", "wait"), "auto");
        String[] urls = LabFixture.REGIONS.stream().map(r -> lab.state().orElseThrow().region(r).orElseThrow().url())
                .toArray(String[]::new);
        client = MeridianClient.builder().regions(urls).preferredRegions("us-east")
                .timeout(Duration.ofSeconds(2)).deadline(Duration.ofSeconds(30)).build();
        euWest = MeridianClient.connect(lab.state().orElseThrow().region("eu-west").orElseThrow().url());
    }

    @AfterAll
    void down() throws Exception {
        if (client != null) {
            client.close();
        }
        LabFixture.down(lab, Map.of("eu-west", euWest), dir);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The writes made before the kill, each with its own idempotency key; sent again after it, they must apply nothing. */
    private Map<String, String> keyedWrites() {
        Map<String, String> versions = new java.util.LinkedHashMap<>();
        versions.put("likes", client.crdt("likes", "post-1", "{\"increment\": 1}", RequestOptions.NONE.idempotencyKey("like-1"))
                .version());
        versions.put("sessions", client.put("sessions", "s-1", bytes("cart"), "text/plain",
                RequestOptions.NONE.idempotencyKey("session-1")).version());
        versions.put("catalog", client.put("catalog", "c-1", bytes("book"), "text/plain",
                RequestOptions.NONE.idempotencyKey("catalog-1")).version());
        versions.put("profiles", client.put("profiles", "p-1", bytes("ada"), "text/plain",
                RequestOptions.NONE.idempotencyKey("profile-1")).version());
        MeridianClient.TxnOutcome deposit = client.transaction("accounts",
                "{\"then\": [{\"add\": {\"key\": \"acct-1\", \"delta\": 1}}]}", RequestOptions.NONE.idempotencyKey("deposit-1"));
        versions.put("accounts", deposit.results().getFirst().version());
        MeridianClient.Appended appended = client.append("orders", "order-1", "{\"events\": [{\"id\": \"" + ORDER_EVENT
                + "\", \"type\": \"placed\", \"data\": {}}]}", RequestOptions.NONE.idempotencyKey("order-1"));
        versions.put("orders", Long.toString(appended.lastVersion()));
        return versions;
    }

    @Test
    void killingTheRegionInUseMidWorkloadMovesTheClientOnWithEveryWriteAppliedOnceAndReadable() throws Exception {
        assertThat(client.regionOrder().getFirst()).isEqualTo("us-east");
        Map<String, String> before = keyedWrites();
        assertThat(client.preferredRegion().toString()).isEqualTo(lab.state().orElseThrow().region("us-east").orElseThrow().url());
        // eu-west holds every one of them (a session read waits for them, else is forwarded to a region that does).
        String session = client.session();
        assertThat(euWest.get("likes", "post-1", RequestOptions.NONE.session(session)).orElseThrow().text()).isEqualTo("1");
        assertThat(euWest.get("sessions", "s-1", RequestOptions.NONE.session(session))).isPresent();

        // The workload: writers putting fresh keys through the client, before, during and after the kill.
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicLong failed = new AtomicLong();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int writer = t;
            writers.add(Thread.ofPlatform().name("writer-" + t).start(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "w-" + writer + "-" + i;
                    try {
                        client.put("sessions", key, bytes("v" + i), "text/plain", RequestOptions.NONE);
                        acknowledged.put(key, "v" + i);
                    } catch (MeridianClientException e) {
                        failed.incrementAndGet();
                        failures.add(key + ": " + e.getMessage());
                    }
                }
            }));
        }
        Thread.sleep(2_000);
        long beforeKill = acknowledged.size();
        lab.kill("us-east");
        long killedAt = System.nanoTime();
        while (acknowledged.size() < beforeKill + 30 && System.nanoTime() - killedAt < 30_000_000_000L) {
            Thread.sleep(100);
        }
        Thread.sleep(1_000);
        stop.set(true);
        for (Thread w : writers) {
            w.join(60_000);
        }
        System.out.printf("client failover: %d writes acknowledged (%d before the kill), %d failed, %d failovers, order now %s%n",
                acknowledged.size(), beforeKill, failed.get(), client.failoverCount(), client.regionOrder());
        failures.forEach(f -> System.out.println("  failed: " + f));
        assertThat(acknowledged.size()).as("writes went on after the kill").isGreaterThan((int) beforeKill + 30);
        assertThat(failed.get()).as("calls that failed across the kill: " + failures).isLessThanOrEqualTo(3);
        assertThat(client.failoverCount()).isPositive();
        assertThat(client.regionOrder().getFirst()).isNotEqualTo("us-east");

        // Read-your-writes across the switch: the client carries its session to the regions left.
        List<String> unread = new ArrayList<>();
        acknowledged.forEach((key, value) -> {
            java.util.Optional<MeridianClient.Value> read = client.get("sessions", key);
            if (read.isEmpty() || !read.get().text().equals(value)) {
                unread.add(key);
            }
        });
        assertThat(unread).as("acknowledged writes the client could not read back").isEmpty();

        // The keyed writes sent again now reach eu-west or ap-southeast: each is answered as before and applies nothing.
        Map<String, String> again = keyedWrites();
        assertThat(again).isEqualTo(before);
        assertThat(client.get("likes", "post-1").orElseThrow().text()).isEqualTo("1");
        assertThat(client.get("accounts", "acct-1").orElseThrow().text()).isEqualTo("1");
        assertThat(client.readStream("orders", "order-1", 1, 10, true, RequestOptions.NONE).events()).hasSize(1);
    }
}
