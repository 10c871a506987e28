package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.cli.Main;
import io.meridian.client.MeridianClient;
import io.meridian.lab.Lab;
import io.meridian.lab.LabException;
import io.meridian.lab.LabState;
import io.meridian.lab.LabTopology;
import io.meridian.lab.Launcher;
import io.meridian.testkit.Marker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab as a user runs it: three node processes and a WAN emulator process on 127.0.0.1,
 * started from this JVM's class path at a fifth of the real WAN delays.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LabIT {
    private static final double SCALE = 0.2;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static final Path CAPTURE = Path.of("target", "lab-it-wan-capture").toAbsolutePath();
    Lab lab;
    LabState state;

    @BeforeAll
    void up() throws java.io.IOException {
        if (java.nio.file.Files.exists(CAPTURE)) { // a previous run's bytes
            try (var old = java.nio.file.Files.list(CAPTURE)) {
                for (Path f : old.toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
        }
        lab = new Lab(dir.resolve("lab"), Launcher.current(Main.class.getName()).quickStart(), System.out);
        // Uncompressed replication and every link's bytes captured: the residency test looks for its values on the links.
        state = lab.up(0, new LabTopology.Setup(SCALE, 0, 0).withCompression("none").withCapture(CAPTURE), Duration.ofSeconds(120));
    }

    @AfterAll
    void down() throws Exception {
        if (lab != null) {
            lab.down(true);
        }
        LabLogs.print(dir.resolve("lab/logs"), 12);
    }

    private String url(String region) {
        return lab.state().orElseThrow().region(region).orElseThrow().url();
    }

    private static JsonNode peer(JsonNode cluster, String region) {
        for (JsonNode p : cluster.path("peers")) {
            if (p.path("region").asText().equals(region)) {
                return p;
            }
        }
        throw new AssertionError("no peer " + region + " in " + cluster);
    }

    @Test
    void everyRegionServesReadsAndWritesAndKeepsLocalDataLocal() {
        for (LabTopology.Region r : LabTopology.REGIONS) {
            try (MeridianClient c = MeridianClient.connect(url(r.name()))) {
                MeridianClient.Written w = c.put("cache", "hello-" + r.name(), "from " + r.name());
                assertThat(w.region()).isEqualTo(r.name());
                MeridianClient.Value v = c.get("cache", "hello-" + r.name()).orElseThrow();
                assertThat(v.text()).isEqualTo("from " + r.name());
                assertThat(v.region()).isEqualTo(r.name());
            }
        }
        try (MeridianClient euWest = MeridianClient.connect(url("eu-west"))) {
            assertThat(euWest.get("cache", "hello-us-east")).as("a local keyspace does not replicate").isEmpty();
        }
    }

    /**
     * Residency, proven: eu-west's writes to {@code eu-customers} (resident in eu-west) leave no
     * byte of their keys or values in another region's data directory, in any region's log, or on
     * any emulated WAN link, while a write to an open keyspace is found in all three places where
     * it travelled (so the searches find what is there).
     */
    @Test
    void theRegionsCountOfTheirWanBytesAgreesWithTheEmulatorsWithinFivePercent() throws Exception {
        String[] regions = {"us-east", "eu-west", "ap-southeast"};
        JsonNode costBefore = getJson(url("us-east") + "/v1/cost");
        Map<String, Long> wireBefore = emulatorEgress();
        // Traffic of every kind: replicated writes everywhere, writes forwarded to catalog's primary, strong writes.
        String value = "{\"note\": \"" + "abcdefghij".repeat(100) + "\"}";
        List<Future<?>> writes = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            for (String r : regions) {
                for (int t = 0; t < 2; t++) {
                    int thread = t;
                    writes.add(pool.submit(() -> {
                        try (MeridianClient c = MeridianClient.connect(url(r))) {
                            for (int i = 0; i < 40; i++) {
                                c.put("sessions", "cost-" + r + "-" + thread + "-" + i, value);
                                if (!r.equals("us-east")) {
                                    c.put("catalog", "cost-" + r + "-" + thread + "-" + i, value);
                                }
                                if (i % 4 == 0) {
                                    c.put("accounts", "cost-" + r + "-" + thread + "-" + i, "{\"balance\": " + i + "}");
                                }
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : writes) {
                f.get();
            }
        }
        Thread.sleep(1_000); // replication catches up: what crossed is counted at both ends
        JsonNode costAfter = getJson(url("us-east") + "/v1/cost");
        Map<String, Long> wireAfter = emulatorEgress();
        assertThat(costAfter.path("unavailable").size()).isZero();
        for (JsonNode pair : costAfter.path("pairs")) {
            String name = pair.path("from").asText() + ">" + pair.path("to").asText();
            JsonNode before = null;
            for (JsonNode p : costBefore.path("pairs")) {
                if ((p.path("from").asText() + ">" + p.path("to").asText()).equals(name)) {
                    before = p;
                }
            }
            long counted = 0;
            long wire = 0;
            for (String transport : List.of("http", "replication", "consensus")) {
                long c = pair.path("bytes_by_transport").path(transport).asLong() - before.path("bytes_by_transport").path(transport).asLong();
                long w = wireAfter.getOrDefault(name + ":" + transport, 0L) - wireBefore.getOrDefault(name + ":" + transport, 0L);
                System.out.printf("cost: %-24s %-12s counted %,10d  on the wire %,10d%n", name, transport, c, w);
                // What crossed while the two were read (probes, heartbeats) is a few KB at most.
                assertThat((double) c).as("%s %s", name, transport).isCloseTo(w, org.assertj.core.api.Assertions.within(
                        Math.max(0.05 * w, 4_096)));
                counted += c;
                wire += w;
            }
            assertThat(wire).as(name + " carried the test's traffic").isGreaterThan(20_000);
            assertThat((double) counted).as(name).isCloseTo(wire, org.assertj.core.api.Assertions.withinPercentage(5));
        }
        assertThat(costAfter.path("keyspaces").findValuesAsText("keyspace")).contains("sessions", "catalog", "accounts", "(control)");
    }

    /** Bytes each region sent each other per transport, as the emulator forwarded them ("from>to:transport"). */
    private Map<String, Long> emulatorEgress() throws Exception {
        Map<String, Long> out = new java.util.HashMap<>();
        JsonNode links = getJson(state.controlUrl() + "/v1/links");
        for (JsonNode l : links.isArray() ? links : links.path("links")) {
            String from = l.path("from").asText();
            String to = l.path("to").asText();
            String kind = l.path("kind").asText();
            long back = l.path("bytes_back").asLong();
            out.merge(from + ">" + to + ":" + kind, l.path("bytes_forwarded").asLong() - back, Long::sum); // from dialled to
            out.merge(to + ">" + from + ":" + kind, back, Long::sum);
        }
        return out;
    }

    private static JsonNode getJson(String url) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void aResidentKeyspaceLeavesNoByteOfItsKeysOrValuesOutsideItsRegion() throws Exception {
        Marker value = Marker.next("RESIDENT");
        Marker key = Marker.next("KEY");
        Marker open = Marker.next("OPEN");
        try (MeridianClient euWest = MeridianClient.connect(url("eu-west"))) {
            for (int i = 0; i < 10; i++) {
                euWest.put("eu-customers", key + "-" + i, "{\"email\":\"" + value + "\"}");
            }
            euWest.put("sessions", open.text(), "{\"v\":\"" + open + "\"}");
        }
        // The open write came after the resident ones from eu-west: where it arrived, so did their (withheld) places.
        for (String r : List.of("us-east", "ap-southeast")) {
            try (MeridianClient c = MeridianClient.connect(url(r))) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(c.get("sessions", open.text()).map(MeridianClient.Value::text).orElse("")).contains(open.text()));
                assertThatThrownBy(() -> c.get("eu-customers", key + "-0")).as("refused outside")
                        .isInstanceOfSatisfying(io.meridian.client.MeridianClientException.class, ex -> assertThat(ex.status()).isEqualTo(403));
            }
        }
        for (String r : List.of("us-east", "ap-southeast")) {
            Path data = Path.of(state.region(r).orElseThrow().dataDir());
            assertThat(value.in(data)).as("values in %s's data", r).isEmpty();
            assertThat(key.in(data)).as("keys in %s's data", r).isEmpty();
            assertThat(open.in(data)).as("the search finds the open write in %s's data", r).isNotEmpty();
        }
        Path euData = Path.of(state.region("eu-west").orElseThrow().dataDir());
        assertThat(value.in(euData)).isNotEmpty();
        assertThat(key.in(euData)).isNotEmpty();
        assertThat(value.in(dir.resolve("lab/logs"))).as("in any log").isEmpty();
        assertThat(key.in(dir.resolve("lab/logs"))).as("in any log").isEmpty();
        assertThat(value.in(CAPTURE)).as("on any link").isEmpty();
        assertThat(key.in(CAPTURE)).as("on any link").isEmpty();
        assertThat(open.in(CAPTURE)).as("the open write on the replication links").isNotEmpty();
    }

    @Test
    void eachNodeMeasuresAtLeastTheEmulatedRoundTripToEachPeer() {
        for (LabTopology.Region from : LabTopology.REGIONS) {
            try (MeridianClient c = MeridianClient.connect(url(from.name()))) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode cluster = c.getJson("/v1/cluster");
                    for (LabTopology.Region to : LabTopology.REGIONS) {
                        if (to.equals(from)) {
                            continue;
                        }
                        JsonNode p = peer(cluster, to.name());
                        double emulatedRtt = 2 * LabTopology.oneWayMillis(from.name(), to.name()) * SCALE;
                        assertThat(p.path("reachable").asBoolean()).as(from.name() + " -> " + to.name()).isTrue();
                        assertThat(p.path("rtt_min_ms").asDouble())
                                .as("%s -> %s measured vs emulated round trip", from.name(), to.name())
                                .isGreaterThanOrEqualTo(emulatedRtt);
                    }
                });
            }
        }
    }

    /**
     * Canary staleness is what the emulated WAN makes it: no beat is seen sooner than the link's
     * one-way delay (a figure below it would mean the probes measure something else), and the
     * fastest of the last minute's beats is seen within 500 ms of that delay.
     */
    @Test
    void canaryStalenessIsTheEmulatedOneWayDelayPlusLittleAndReadYourWritesHolds() {
        for (LabTopology.Region to : LabTopology.REGIONS) {
            try (MeridianClient c = MeridianClient.connect(url(to.name()))) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    JsonNode canary = c.getJson("/v1/canary");
                    for (JsonNode s : canary.path("sources")) {
                        String from = s.path("source").asText();
                        double oneWay = LabTopology.oneWayMillis(from, to.name()) * SCALE;
                        String pair = from + " -> " + to.name() + " " + s;
                        assertThat(s.path("window").asInt()).as(pair).isGreaterThanOrEqualTo(5);
                        assertThat(s.path("min_ms").asDouble()).as("fastest beat " + pair)
                                .isGreaterThanOrEqualTo(Math.floor(oneWay) - 1).isLessThan(oneWay + 500);
                    }
                    assertThat(canary.path("sources")).hasSize(2);
                    for (JsonNode r : canary.path("ryw")) {
                        assertThat(r.path("violations").asLong()).as(r.toString()).isZero();
                        assertThat(r.path("probes").asLong() - r.path("failures").asLong()).as(r.toString()).isPositive();
                    }
                });
            }
        }
    }

    @Test
    void aCutLinkShowsCutOnBothSidesAndHeals() {
        lab.partition("us-east", "eu-west");
        try (MeridianClient usEast = MeridianClient.connect(url("us-east"));
             MeridianClient euWest = MeridianClient.connect(url("eu-west"))) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(peer(usEast.getJson("/v1/cluster"), "eu-west").path("reachable").asBoolean()).isFalse();
                assertThat(peer(euWest.getJson("/v1/cluster"), "us-east").path("reachable").asBoolean()).isFalse();
            });
            assertThat(peer(usEast.getJson("/v1/cluster"), "ap-southeast").path("reachable").asBoolean()).isTrue();
            JsonNode ready = usEast.getJson("/v1/health/ready");
            assertThat(ready.path("status").asText()).isEqualTo("degraded");
            assertThat(ready.path("reasons").toString()).contains("peer eu-west");
            Lab.Status status = lab.status();
            assertThat(status.links()).filteredOn(l -> l.path("cut").asBoolean())
                    .extracting(l -> l.path("from").asText() + ">" + l.path("to").asText() + " " + l.path("kind").asText())
                    .containsExactlyInAnyOrder("us-east>eu-west http", "eu-west>us-east http",
                            "us-east>eu-west replication", "eu-west>us-east replication",
                            "us-east>eu-west consensus", "eu-west>us-east consensus");

            lab.heal("eu-west", "us-east");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(peer(usEast.getJson("/v1/cluster"), "eu-west").path("reachable").asBoolean()).isTrue());
        } finally {
            lab.heal(null, null);
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesSigkill() throws Exception {
        String region = "ap-southeast";
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        try (MeridianClient c = MeridianClient.connect(url(region));
             ExecutorService writers = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        String key = "durable-" + writer + "-" + i;
                        String value = "v" + i + "-" + System.nanoTime();
                        c.put("cache", key, value);
                        acknowledged.put(key, value);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        lab.kill(region);
        assertThat(lab.status().regions()).filteredOn(r -> r.name().equals(region))
                .singleElement().satisfies(r -> assertThat(r.running()).isFalse());
        lab.revive(region, Duration.ofSeconds(120));
        try (MeridianClient c = MeridianClient.connect(url(region))) {
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                assertThat(c.get("cache", e.getKey())).as(e.getKey()).hasValueSatisfying(v -> assertThat(v.text()).isEqualTo(e.getValue()));
            }
        }
        assertThat(acknowledged).hasSize(320);
    }

    /**
     * deploy/prometheus's alert rules and deploy/grafana's dashboard query only series the nodes
     * export (Prometheus's own {@code up} aside): a renamed metric would leave an alert that never
     * fires and a panel that stays empty.
     */
    @Test
    void theShippedAlertRulesAndDashboardQueryOnlyMetricsTheNodesExport() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent();
        java.util.Set<String> exported = new java.util.TreeSet<>();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        try (MeridianClient client = MeridianClient.connect(url("us-east"))) {
            client.put("profiles", "metrics-check", "{}"); // a request timed, so the latency histogram has series
        }
        for (String region : List.of("us-east", "eu-west", "ap-southeast")) {
            String text = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url(region) + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> exported.add(l.split("[{ ]", 2)[0]));
        }
        java.util.regex.Pattern metric = java.util.regex.Pattern.compile("\\b((?:meridian|jvm|process|system)_[a-z0-9_]+)\\b");
        Map<String, List<String>> queried = new java.util.LinkedHashMap<>();
        String rules = java.nio.file.Files.readString(repo.resolve("deploy/prometheus/alerts.yml"));
        rules.lines().filter(l -> l.trim().startsWith("expr:")).forEach(l -> queried.put("alerts.yml: " + l.trim(), names(metric, l)));
        JsonNode dashboard = new ObjectMapper().readTree(repo.resolve("deploy/grafana/meridian.json").toFile());
        dashboard.findValues("expr").forEach(e -> queried.put("meridian.json: " + e.asText(), names(metric, e.asText())));
        assertThat(queried).as("queries found").hasSizeGreaterThan(20);
        // The lab here runs plain HTTP: series of TLS are exported only with `tls:`, and TlsNodesTest checks those.
        queried.forEach((query, names) -> assertThat(exported).as(query)
                .containsAll(names.stream().filter(n -> !n.startsWith("meridian_tls_")).toList()));
        assertThat(queried.values().stream().flatMap(List::stream))
                .as("the failover, exposure and replication series are among them")
                .contains("meridian_failover_peer_suspected", "meridian_failover_region_active", "meridian_failover_decisions_pending",
                        "meridian_failover_lease_held", "meridian_exposure_oldest_seconds", "meridian_rpo_budget_seconds",
                        "meridian_replication_lag_seconds", "meridian_replication_conflicts_total", "meridian_requests_seconds_bucket");
    }

    private static List<String> names(java.util.regex.Pattern metric, String query) {
        List<String> names = new ArrayList<>();
        java.util.regex.Matcher m = metric.matcher(query);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The 503s the API documents (docs/api.md): each says why, and that the request may be retried. */
    private static final java.util.Set<String> DOCUMENTED_503 = java.util.Set.of("unavailable", "not-owner", "rpo-budget-exceeded",
            "stale-epoch", "too-many-subscriptions");

    /**
     * 20,000 seeded random requests to a live node (methods, paths, headers and bodies, valid and
     * not; see {@link HttpFuzz}), eight at a time: no 5xx but the documented 503s (and 501 for what
     * is not implemented), every error a problem document naming its status and region, no "bug
     * serving" in the node's log, the node ready afterwards and the data written before intact. A
     * request lost with its keep-alive connection (no byte of an answer) is sent again once, alone
     * on a new connection, and must be answered there; at most one in 2,000 may be. Such losses
     * were seen about once in a few CI runs and never reproduced by replaying the seed; the list
     * printed names each with the request its sender made before it.
     * {@code -Dfuzz.seed=N} replays a run; {@code -Dfuzz.requests=N} runs more.
     */
    @Test
    void fuzzedRequestsGetProblemDocumentsAndLeaveTheNodeHealthy() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        int requests = Integer.getInteger("fuzz.requests", 20_000);
        int threads = Integer.getInteger("fuzz.threads", 8);
        System.out.println("HTTP fuzz: seed " + seed + " (replay with -Dfuzz.seed=" + seed + "), " + requests + " requests");
        String base = url("us-east");
        Map<String, String> sentinels = Map.of("cache", "before-fuzz-local", "profiles", "before-fuzz-homed", "accounts", "before-fuzz-strong");
        try (MeridianClient client = MeridianClient.connect(base)) {
            sentinels.forEach((keyspace, value) -> client.put(keyspace, "sentinel-fuzz", value));
        }
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        java.util.Queue<String> violations = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.Queue<String> resent = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Map<Integer, java.util.concurrent.atomic.LongAdder> statuses = new ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(requests);
        HttpFuzz fuzz = new HttpFuzz(seed);
        long start = System.nanoTime();
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < threads; t++) {
                senders.submit(() -> {
                    HttpFuzz.Request previous = null;
                    while (left.getAndDecrement() > 0) {
                        HttpFuzz.Request r;
                        synchronized (fuzz) {
                            r = fuzz.next();
                        }
                        try {
                            java.net.http.HttpResponse<String> resp;
                            try {
                                resp = http.send(fuzzed(base, r), java.net.http.HttpResponse.BodyHandlers.ofString());
                            } catch (java.io.IOException lost) {
                                if (r.refusedWhileSending()) {
                                    throw lost;
                                }
                                // A keep-alive connection may close under a request sent on it (RFC 9112, 9.3.1: clients
                                // recover from such asynchronous closes; the JDK's client resends only GET and HEAD by
                                // itself). Sent once more, alone on a new connection: a request the node does not answer
                                // there is a violation, and so are more than a handful of these (counted and printed).
                                resent.add("    " + lost + ": " + r + "\n      after: " + previous);
                                try (java.net.http.HttpClient alone = java.net.http.HttpClient.newBuilder()
                                        .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()) {
                                    resp = alone.send(fuzzed(base, r), java.net.http.HttpResponse.BodyHandlers.ofString());
                                }
                            }
                            statuses.computeIfAbsent(resp.statusCode(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
                            String problem = problemIn(r, resp);
                            if (problem != null) {
                                violations.add(problem + "\n    request: " + r + "\n    answer: " + resp.statusCode() + " "
                                        + resp.headers().map() + " " + resp.body().substring(0, Math.min(300, resp.body().length())));
                            }
                        } catch (IllegalArgumentException e) {
                            statuses.computeIfAbsent(0, k -> new java.util.concurrent.atomic.LongAdder()).increment(); // the client refused to send it
                        } catch (java.io.IOException e) {
                            if (r.refusedWhileSending()) {
                                statuses.computeIfAbsent(-1, k -> new java.util.concurrent.atomic.LongAdder()).increment();
                            } else {
                                violations.add("no answer, not even alone on a new connection (" + e + ")\n    request: " + r
                                        + "\n    after: " + previous);
                            }
                        }
                        previous = r;
                    }
                    return null;
                });
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("HTTP fuzz: %d requests in %.1f s (%.0f/s); statuses %s (0: not sendable by the client)%n", requests, seconds,
                requests / seconds, new java.util.TreeMap<>(statuses));
        System.out.println("HTTP fuzz: -1 counts requests refused at the request line whose body was still being sent (reset, docs/api.md)");
        System.out.println("HTTP fuzz: " + resent.size() + " requests lost with their keep-alive connection and sent again alone"
                + (resent.isEmpty() ? "" : ":\n" + String.join("\n", resent)));
        assertThat(violations).as("seed " + seed).isEmpty();
        assertThat(resent).as("seed " + seed + ": requests whose keep-alive connection closed under them").hasSizeLessThanOrEqualTo(
                Math.max(3, requests / 2_000));
        assertThat(statuses.keySet()).as("the requests reached past the parser").contains(200, 400, 404);

        assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/health/ready")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).as("ready after the fuzz").isEqualTo(200);
        try (MeridianClient client = MeridianClient.connect(base)) {
            sentinels.forEach((keyspace, value) -> assertThat(client.get(keyspace, "sentinel-fuzz"))
                    .as(keyspace).hasValueSatisfying(v -> assertThat(v.text()).isEqualTo(value)));
        }
        String log = java.nio.file.Files.readString(dir.resolve("lab/logs/us-east.log"));
        assertThat(log).as("the node's log").doesNotContain("bug serving");
    }

    /** The fuzzed request {@code r} for the node at {@code base}. */
    private static java.net.http.HttpRequest fuzzed(String base, HttpFuzz.Request r) {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + r.path()))
                .timeout(Duration.ofSeconds(30))
                .method(r.method(), java.net.http.HttpRequest.BodyPublishers.ofByteArray(r.body()));
        r.headers().forEach(b::header);
        return b.build();
    }

    /** What is wrong with an answer, or null. */
    private static String problemIn(HttpFuzz.Request r, java.net.http.HttpResponse<String> resp) {
        int status = resp.statusCode();
        if (status < 400) {
            return null;
        }
        if (!resp.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json")) {
            return "an error without a problem document";
        }
        if (resp.headers().firstValue("Meridian-Region").isEmpty()) {
            return "an error without Meridian-Region";
        }
        if (r.method().equals("HEAD")) {
            return status >= 500 && status != 503 && status != 501 ? "HEAD answered " + status : null;
        }
        JsonNode doc;
        try {
            doc = new ObjectMapper().readTree(resp.body());
        } catch (Exception e) {
            return "a problem document that is not JSON";
        }
        String type = doc.path("type").asText().replace("urn:meridian:problem:", "");
        if (doc.path("status").asInt() != status) {
            return "a problem document whose status is not the answer's";
        }
        if (status == 501 && type.equals("not-implemented") || status == 503 && DOCUMENTED_503.contains(type) || status < 500) {
            return null;
        }
        return "an undocumented " + status + " (" + type + ")";
    }

    @Test
    void aSecondLabUpSaysOneIsRunning() {
        assertThatThrownBy(() -> lab.up(0, LabTopology.Setup.DEFAULT, Duration.ofSeconds(5)))
                .isInstanceOf(LabException.class).hasMessageContaining("a lab is already running");
        assertThat(lab.state()).isPresent();
    }

    @Test
    void theCommandLineReadsAndWritesAndReportsStatusAsJson() throws Exception {
        String labDir = dir.resolve("lab").toString();
        assertThat(cli("kv", "put", "--lab-dir", labDir, "--region", "eu-west", "cache", "cli-key", "cli value").exitCode()).isZero();
        CliRun get = cli("kv", "get", "--lab-dir", labDir, "--region", "eu-west", "cache", "cli-key");
        assertThat(get.exitCode()).isZero();
        assertThat(get.out()).isEqualTo("cli value\n");
        CliRun missing = cli("kv", "get", "--lab-dir", labDir, "--region", "eu-west", "nope", "k");
        assertThat(missing.exitCode()).isEqualTo(1);
        CliRun wrongRegion = cli("kv", "get", "--lab-dir", labDir, "--region", "mars", "cache", "k");
        assertThat(wrongRegion.exitCode()).isEqualTo(1);

        CliRun status = cli("lab", "--lab-dir", labDir, "status", "--json");
        assertThat(status.exitCode()).isZero();
        JsonNode json = JSON.readTree(status.out());
        assertThat(json.path("regions")).hasSize(3);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode now = JSON.readTree(cli("lab", "--lab-dir", labDir, "status", "--json").out());
            for (JsonNode r : now.path("regions")) {
                assertThat(r.path("healthy").asBoolean()).as(r.toString()).isTrue();
                assertThat(r.path("url").asText()).startsWith("http://127.0.0.1:");
                assertThat(r.path("name").asText()).isIn("us-east", "eu-west", "ap-southeast");
            }
        });
    }

    record CliRun(int exitCode, String out) {
    }

    /** Runs the command line in this JVM, capturing standard output. */
    private static synchronized CliRun cli(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }
}
