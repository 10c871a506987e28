package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.client.MeridianClient;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import io.meridian.testkit.linearizability.Checker;
import io.meridian.testkit.linearizability.Operation;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strong keyspaces as users see them, under faults: the leader's region killed with SIGKILL and
 * revived, another pair of regions partitioned, while clients in every region read, write,
 * compare-and-set, transfer money and reserve stock. Real processes, WAN at a fifth of the real
 * delays.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StrongIT {
    private static final double SCALE = 0.2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REGIONS = LabTopology.REGIONS.stream().map(LabTopology.Region::name).toList();

    @TempDir
    static Path dir;
    Lab lab;
    final Map<String, MeridianClient> clients = new LinkedHashMap<>();

    @BeforeAll
    void up() {
        lab = LabFixture.up(dir, new LabTopology.Setup(SCALE, 0, 0));
        clients.putAll(LabFixture.clients(lab, Duration.ofSeconds(15)));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(leader("accounts")).isEqualTo("us-east"));
    }

    @AfterAll
    void down() throws Exception {
        LabFixture.down(lab, clients, dir);
    }

    private String leader(String keyspace) {
        for (JsonNode g : clients.get("eu-west").getJson("/v1/cluster").path("strong")) {
            if (g.path("keyspace").asText().equals(keyspace)) {
                return g.path("leader").asText(null);
            }
        }
        return null;
    }

    private HttpResponse<byte[]> txn(String region, String keyspace, String body) {
        MeridianClient c = clients.get(region);
        return c.raw(c.request("/v1/txn/" + keyspace).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Kills the leader's region, revives it, partitions eu-west from ap-southeast, heals: while {@code work} runs. */
    private void underFaults(Runnable work, AtomicBoolean stop) throws Exception {
        Thread worker = Thread.ofPlatform().start(work);
        try {
            Thread.sleep(2_000);
            lab.kill("us-east");
            Thread.sleep(4_000);
            lab.revive("us-east", Duration.ofSeconds(90));
            Thread.sleep(2_000);
            lab.partition("eu-west", "ap-southeast");
            Thread.sleep(4_000);
        } finally {
            lab.heal(null, null);
            lab.awaitReady(Duration.ofSeconds(60)); // write leases return once the control plane has a majority again
            Thread.sleep(1_000);
            stop.set(true);
            worker.join();
        }
    }

    @Test
    void concurrentReadsWritesAndCompareAndSetsStayLinearizableThroughFaults() throws Exception {
        List<Operation> history = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        underFaults(() -> {
            List<Thread> threads = new ArrayList<>();
            int client = 0;
            for (String region : REGIONS) {
                for (int t = 0; t < 2; t++) {
                    int id = client++;
                    threads.add(Thread.ofPlatform().start(() -> runRegisterClient(id, region, history, stop, answered)));
                }
            }
            joinAll(threads);
        }, stop);
        Checker.Result result = Checker.check(history, 50_000_000);
        System.out.printf("linearizability: %d operations (%d answered), %s after %d steps%n", history.size(), answered.get(),
                result.verdict(), result.steps());
        assertThat(answered.get()).as("operations that completed").isGreaterThan(50);
        if (result.verdict() != Checker.Verdict.LINEARIZABLE) {
            printHistory(history, result.key());
        }
        assertThat(result.verdict()).as("history on key " + result.key()).isEqualTo(Checker.Verdict.LINEARIZABLE);
    }

    /** The operations on one key in invocation order, milliseconds from the first: what a failure is judged on. */
    private static void printHistory(List<Operation> history, String key) {
        List<Operation> ops;
        synchronized (history) {
            ops = history.stream().filter(o -> o.key().equals(key))
                    .sorted(java.util.Comparator.comparingLong(Operation::invokeTime)).toList();
        }
        long t0 = ops.isEmpty() ? 0 : ops.getFirst().invokeTime();
        System.out.println("history of " + key + " (" + ops.size() + " operations; client, invoked..returned ms, input -> output):");
        for (Operation o : ops) {
            System.out.printf("  c%d %9.1f..%s %s -> %s%n", o.client(), (o.invokeTime() - t0) / 1e6,
                    o.returnTime().map(r -> String.format("%.1f", (r - t0) / 1e6)).orElse("?"), o.input(),
                    o.output().map(Object::toString).orElse("unknown"));
        }
    }

    private void runRegisterClient(int id, String region, List<Operation> history, AtomicBoolean stop, AtomicInteger answered) {
        Random random = new Random(id);
        MeridianClient c = clients.get(region);
        for (int i = 0; !stop.get(); i++) {
            String key = "reg-" + random.nextInt(3);
            String value = "c" + id + "-" + i;
            int kind = random.nextInt(3);
            // Drawn for every operation, so that a compare-and-set that fails without an answer is recorded with what it
            // really expected: it may have committed, and a later read may show its value.
            String expected = "c" + random.nextInt(6) + "-" + Math.max(0, i - random.nextInt(3));
            long start = System.nanoTime();
            try {
                switch (kind) {
                    case 0 -> {
                        HttpResponse<byte[]> r = c.raw(c.request("/v1/kv/accounts/" + key).GET());
                        long end = System.nanoTime();
                        if (r.statusCode() == 200 || r.statusCode() == 404) {
                            history.add(Operation.completed(id, key, new Operation.Input.Read(), Operation.Output.read(
                                    r.statusCode() == 200 ? new String(r.body(), StandardCharsets.UTF_8) : null), start, end));
                            answered.incrementAndGet();
                        }
                    }
                    case 1 -> {
                        HttpResponse<byte[]> r = c.raw(c.request("/v1/kv/accounts/" + key)
                                .PUT(HttpRequest.BodyPublishers.ofString(value)));
                        long end = System.nanoTime();
                        if (r.statusCode() == 200 || r.statusCode() == 201) {
                            history.add(Operation.completed(id, key, new Operation.Input.Write(value), Operation.Output.done(true), start, end));
                            answered.incrementAndGet();
                        } else {
                            history.add(Operation.unknown(id, key, new Operation.Input.Write(value), start));
                            pause();
                        }
                    }
                    default -> {
                        HttpResponse<byte[]> r = txn(region, "accounts", "{\"if\": [{\"key\": \"" + key + "\", \"value\": \""
                                + expected + "\"}], \"then\": [{\"put\": {\"key\": \"" + key + "\", \"value\": \"" + value + "\"}}]}");
                        long end = System.nanoTime();
                        if (r.statusCode() == 200) {
                            history.add(Operation.completed(id, key, new Operation.Input.Cas(expected, value),
                                    Operation.Output.done(json(r).path("succeeded").asBoolean()), start, end));
                            answered.incrementAndGet();
                        } else {
                            history.add(Operation.unknown(id, key, new Operation.Input.Cas(expected, value), start));
                            pause();
                        }
                    }
                }
            } catch (RuntimeException e) {
                // Refused before it was sent (the region is down): it never happened. Otherwise unknown.
                if (kind != 0 && !refused(e)) {
                    history.add(Operation.unknown(id, key, kind == 1 ? new Operation.Input.Write(value)
                            : new Operation.Input.Cas(expected, value), start));
                }
                pause();
            }
        }
    }

    private static void joinAll(List<Thread> threads) {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** After a failure, back off a little: a region that is down must not turn the client into a busy loop. */
    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void randomTransfersFromEveryRegionKeepTheTotalAndApplyEachAcknowledgedTransferOnce() throws Exception {
        int accounts = 5;
        StringBuilder setup = new StringBuilder("{\"then\": [");
        for (int i = 0; i < accounts; i++) {
            setup.append(i == 0 ? "" : ",").append("{\"put\": {\"key\": \"bank-").append(i).append("\", \"value\": \"100\"}}");
        }
        assertThat(txn("eu-west", "accounts", setup + "]}").statusCode()).isEqualTo(200);
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        underFaults(() -> {
            List<Thread> threads = new ArrayList<>();
            for (String region : REGIONS) {
                threads.add(Thread.ofPlatform().start(() -> {
                    Random random = new Random(region.hashCode());
                    for (int i = 0; !stop.get(); i++) {
                        int from = random.nextInt(accounts);
                        int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
                        int amount = 1 + random.nextInt(40);
                        String id = region + "-" + i;
                        String body = "{\"if\": [{\"key\": \"bank-" + from + "\", \"at_least\": " + amount + "}, {\"key\": \"transfer-"
                                + id + "\", \"exists\": false}], \"then\": [{\"add\": {\"key\": \"bank-" + from + "\", \"delta\": -"
                                + amount + "}}, {\"add\": {\"key\": \"bank-" + to + "\", \"delta\": " + amount
                                + "}}, {\"put\": {\"key\": \"transfer-" + id + "\", \"value\": \"" + amount + "\"}}]}";
                        try {
                            HttpResponse<byte[]> r = txn(region, "accounts", body);
                            if (r.statusCode() == 200 && json(r).path("succeeded").asBoolean()) {
                                acknowledged.add(id);
                            }
                        } catch (RuntimeException e) {
                            pause(); // unknown outcome: checked through its marker below
                        }
                    }
                }));
            }
            joinAll(threads);
        }, stop);
        long total = 0;
        for (int i = 0; i < accounts; i++) {
            long balance = Long.parseLong(clients.get("ap-southeast").get("accounts", "bank-" + i).orElseThrow().text());
            assertThat(balance).as("bank-" + i).isNotNegative();
            total += balance;
        }
        assertThat(total).as("money is neither made nor lost").isEqualTo(100L * accounts);
        assertThat(acknowledged).as("transfers acknowledged").isNotEmpty();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(markers("us-east")).as("every acknowledged transfer is recorded").containsAll(acknowledged));
        System.out.printf("bank: %d acknowledged transfers, total %d%n", acknowledged.size(), total);
        MeridianClient eu = clients.get("eu-west");
        String metrics = new String(eu.raw(eu.request("/metrics").GET()).body(), java.nio.charset.StandardCharsets.UTF_8);
        double entries = metric(metrics, "meridian_strong_entries_total{keyspace=\"accounts\",region=\"eu-west\"}");
        double transactions = metric(metrics, "meridian_strong_transactions_total{keyspace=\"accounts\",region=\"eu-west\"}");
        assertThat(entries).as("entries eu-west proposed").isPositive();
        assertThat(transactions).as("transactions they carried").isGreaterThanOrEqualTo(entries);
    }

    private static double metric(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + series + " in the metrics"));
    }

    /** The transfer markers in a region's replica, read page by page. */
    private Set<String> markers(String region) {
        Set<String> ids = new java.util.HashSet<>();
        MeridianClient c = clients.get(region);
        String after = null;
        do {
            String path = "/v1/kv/accounts?prefix=transfer-&limit=1000" + (after == null ? "" : "&after=" + MeridianClient.encode(after));
            JsonNode page = json(c.raw(c.request(path).header("Meridian-Consistency", "eventual").GET()));
            page.path("items").forEach(item -> ids.add(item.path("key").asText().substring("transfer-".length())));
            after = page.path("next").isTextual() ? page.path("next").asText() : null;
        } while (after != null);
        return ids;
    }

    @Test
    void concurrentReservationsFromThreeRegionsNeverOversell() throws Exception {
        int stock = 40;
        assertThat(txn("us-east", "inventory", "{\"then\": [{\"put\": {\"key\": \"widget\", \"value\": \"" + stock + "\"}}]}")
                .statusCode()).isEqualTo(200);
        AtomicInteger sold = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (String region : REGIONS) {
            for (int t = 0; t < 3; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 20; i++) {
                        HttpResponse<byte[]> r = txn(region, "inventory", "{\"if\": [{\"key\": \"widget\", \"at_least\": 1}],"
                                + " \"then\": [{\"add\": {\"key\": \"widget\", \"delta\": -1}}]}");
                        if (r.statusCode() == 200 && json(r).path("succeeded").asBoolean()) {
                            sold.incrementAndGet();
                        }
                    }
                }));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        long left = Long.parseLong(clients.get("eu-west").get("inventory", "widget").orElseThrow().text());
        assertThat(sold.get()).as("180 attempts for 40 widgets").isEqualTo(stock);
        assertThat(left).isZero();
    }

    /**
     * After the faults above, leadership can sit with any region; it returns to us-east once Ratis
     * sees it caught up. Measured in the lab: immediately after a plain kill and revive, 20-60 s
     * after a kill followed by a partition (reconnection backoff through the WAN links).
     */
    @Test
    void theLeaderGoesBackToThePreferredRegionWhenItRecovers() {
        await().atMost(Duration.ofSeconds(150)).untilAsserted(() -> assertThat(leader("accounts")).isEqualTo("us-east"));
    }
}
