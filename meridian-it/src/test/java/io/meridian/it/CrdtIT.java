package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.client.MeridianClient;
import io.meridian.client.RequestOptions;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * CRDT keyspaces across real region processes behind the WAN emulator (a fifth of the real
 * delays): every region writes at once, partitions heal into one value, and a region killed or
 * wiped gets every value back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrdtIT {
    private static final double SCALE = 0.2;
    private static final List<String> REGIONS = LabFixture.REGIONS;
    private static final RequestOptions EVENTUAL = RequestOptions.NONE.consistency("eventual");

    @TempDir
    static Path dir;
    Lab lab;
    Map<String, MeridianClient> clients;

    @BeforeAll
    void up() {
        lab = LabFixture.up(dir, new LabTopology.Setup(SCALE, 0, 0));
        clients = LabFixture.clients(lab, Duration.ofSeconds(15));
    }

    @AfterAll
    void down() throws Exception {
        LabFixture.down(lab, clients, dir);
    }

    private JsonNode valueIn(String region, String keyspace, String key) {
        return clients.get(region).get(keyspace, key, EVENTUAL).map(v -> {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(v.bytes());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }).orElse(null);
    }

    /** Waits until every region shows the same value of a key, and returns it. */
    private JsonNode converged(String keyspace, String key) {
        JsonNode[] seen = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            List<JsonNode> values = new ArrayList<>();
            for (String r : REGIONS) {
                values.add(valueIn(r, keyspace, key));
            }
            assertThat(values.get(0)).isNotNull();
            assertThat(values).as("%s/%s in every region", keyspace, key).allMatch(v -> v.equals(values.get(0)));
            seen[0] = values.get(0);
        });
        return seen[0];
    }

    @Test
    @Order(1)
    void incrementsFromEveryRegionDuringAPartitionSumExactlyOnceHealed() throws Exception {
        lab.partition("eu-west", "ap-southeast");
        lab.partition("us-east", "ap-southeast");
        AtomicLong sum = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (String r : REGIONS) {
            writers.add(Thread.ofPlatform().start(() -> {
                for (int i = 1; i <= 40; i++) {
                    long amount = i % 7 == 0 ? -3 : i;
                    clients.get(r).increment("likes", "post-1", amount);
                    sum.addAndGet(amount);
                }
            }));
        }
        for (Thread t : writers) {
            t.join();
        }
        assertThat(valueIn("ap-southeast", "likes", "post-1").asLong()).as("cut off: only its own increments")
                .isLessThan(sum.get());
        lab.heal(null, null);
        assertThat(converged("likes", "post-1").bigIntegerValue()).isEqualTo(BigInteger.valueOf(sum.get()));
    }

    @Test
    @Order(2)
    void aCartUpdatedInTwoRegionsAtOnceKeepsBothItemsAndARemoveConcurrentWithAnAddKeepsTheElement() {
        lab.partition("us-east", "eu-west");
        clients.get("us-east").update("carts", "alice", "apples", "{\"increment\": 2}");
        clients.get("eu-west").update("carts", "alice", "pears", "{\"increment\": 1}");
        clients.get("us-east").add("tags", "t1", "urgent");
        converged("tags", "t1");
        lab.heal(null, null);
        assertThat(converged("carts", "alice").toString()).isEqualTo("{\"apples\":2,\"pears\":1}");

        converged("tags", "t1");
        lab.partition("us-east", "eu-west");
        lab.partition("us-east", "ap-southeast");
        clients.get("us-east").remove("tags", "t1", "urgent");   // removes the add it has seen
        clients.get("eu-west").add("tags", "t1", "urgent");      // a new add, concurrent with the remove
        lab.heal(null, null);
        assertThat(converged("tags", "t1").toString()).as("add wins").isEqualTo("[\"urgent\"]");
    }

    @Test
    @Order(3)
    void commentsInsertedAtOnePlaceInThreeRegionsConvergeToOneOrderWithoutInterleaving() {
        List<MeridianClient.Item> start = clients.get("us-east").insert("comments", "post-1", null, "#");
        converged("comments", "post-1");
        String head = start.getFirst().id();
        lab.partition("us-east", "eu-west");
        lab.partition("us-east", "ap-southeast");
        lab.partition("eu-west", "ap-southeast");
        Map<String, String> runs = Map.of("us-east", "abc", "eu-west", "def", "ap-southeast", "ghi");
        for (Map.Entry<String, String> run : runs.entrySet()) {
            String after = head;
            for (char ch : run.getValue().toCharArray()) {
                List<MeridianClient.Item> items = clients.get(run.getKey()).insert("comments", "post-1", after, String.valueOf(ch));
                after = items.stream().filter(i -> i.value().equals(String.valueOf(ch))).findFirst().orElseThrow().id();
            }
        }
        lab.heal(null, null);
        JsonNode merged = converged("comments", "post-1");
        StringBuilder text = new StringBuilder();
        merged.forEach(item -> text.append(item.path("value").asText()));
        assertThat(text.toString()).startsWith("#").hasSize(10).contains("abc", "def", "ghi");
    }

    @Test
    @Order(4)
    void aRegionKilledAndOneWipedGetEveryValueBack() {
        clients.get("eu-west").update("settings", "site", "theme", "{\"set\": \"dark\"}");
        JsonNode likes = converged("likes", "post-1");
        JsonNode settings = converged("settings", "site");
        lab.kill("ap-southeast");
        clients.get("us-east").increment("likes", "post-1", 100);
        lab.revive("ap-southeast", Duration.ofSeconds(90));
        BigInteger expected = likes.bigIntegerValue().add(BigInteger.valueOf(100));
        assertThat(converged("likes", "post-1").bigIntegerValue()).isEqualTo(expected);

        lab.kill("eu-west");
        lab.revive("eu-west", Duration.ofSeconds(90), true);
        assertThat(converged("likes", "post-1").bigIntegerValue()).as("from a snapshot").isEqualTo(expected);
        assertThat(converged("settings", "site")).isEqualTo(settings);
        assertThat(converged("carts", "alice").toString()).isEqualTo("{\"apples\":2,\"pears\":1}");
        assertThat(clients.get("eu-west").increment("likes", "post-1", 1)).as("the wiped region writes again")
                .isEqualTo(expected.add(BigInteger.ONE));
        assertThat(converged("likes", "post-1").bigIntegerValue()).isEqualTo(expected.add(BigInteger.ONE));
    }
}
