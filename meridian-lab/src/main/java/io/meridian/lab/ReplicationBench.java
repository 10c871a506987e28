package io.meridian.lab;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.client.MeridianClient;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures asynchronous replication on a running lab: an open-loop writer puts to the
 * keyspace every region writes (multi-master, {@code sessions} in the lab) in one region at a fixed rate, then every other region
 * reports the delay from each write's origin timestamp to its apply there (the regions share
 * this machine's clock, so the figure is exact), beside the emulated one-way delay, which is the
 * physical floor. Values are JSON documents of the asked size with varied content ({@link JsonValues}).
 * Bytes per write are counted twice: what the writer's replication streams sent (messages, before
 * gRPC framing), and what crossed the emulated WAN between the writer and each target on the
 * replication links, both directions (framing, acknowledgements and heartbeats included): the
 * figure a WAN bill would show. Beside them, how late the emulator itself forwarded that traffic
 * past its due time ({@code wan late p99}, over the measurement): the part of the delay that is the
 * emulator's, not the system's (it shares the cores with the regions).
 */
public final class ReplicationBench {
    /** Writes in flight at most; past it the writer falls behind its schedule and says so. */
    private static final int MAX_IN_FLIGHT = 512;

    public record Row(String target, int rate, double achievedRate, long writes, long failed, long applied, long p50Ms,
                      long p90Ms, long p99Ms, long maxMs, double oneWayMs, double bytesPerWrite, double wanBytesPerWrite,
                      double wanLateP99Ms) {
    }

    private ReplicationBench() {
    }

    /** @param warmup a first run at the highest rate, not reported: the JIT compiles the hot paths of every process */
    public static List<Row> run(Lab lab, String region, List<Integer> rates, Duration duration, Duration warmup,
                                int valueBytes, PrintStream out) throws InterruptedException {
        return run(lab, region, null, rates, duration, warmup, valueBytes, out);
    }

    /**
     * @param keyspace the keyspace to write, null for the lab's first that every region writes; in a
     *                 CRDT counter keyspace each write is an increment (deltas, not values, travel)
     */
    public static List<Row> run(Lab lab, String region, String keyspace, List<Integer> rates, Duration duration,
                                Duration warmup, int valueBytes, PrintStream out) throws InterruptedException {
        LabState state = lab.state().orElseThrow(() -> new LabException("no lab is running; `meridian lab up` first"));
        if (keyspace == null) {
            // Written in one region, read everywhere: a keyspace every region may write, so any region can be the source.
            keyspace = lab.keyspaceWhere(io.meridian.core.KeyspaceRules::writtenEverywhere, "that every region writes");
        }
        String chosen = keyspace;
        io.meridian.core.config.KeyspaceConfig k = lab.config().keyspace(keyspace).orElseThrow(() -> new LabException(
                "keyspace '" + chosen + "' is not in the lab"));
        io.meridian.core.KeyspaceRules rules = io.meridian.core.KeyspaceRules.of(k.policy());
        if (!rules.writtenEverywhere()) {
            throw new LabException("keyspace '" + keyspace + "' is " + k.policy().name() + ": the bench needs one every region writes");
        }
        if (rules.crdt().isPresent() && !(rules.crdt().get() instanceof io.meridian.core.crdt.CrdtType.Counter)) {
            throw new LabException("keyspace '" + keyspace + "' holds " + rules.crdt().get().name() + "s: the bench writes"
                    + " CRDT counters (increments); choose a counter keyspace such as likes");
        }
        boolean increments = rules.crdt().isPresent();
        out.printf("writing %s to '%s' (%s) in %s%n", increments ? "increments" : valueBytes + "-byte values", keyspace,
                k.policy().name(), region);
        LabState.RegionProcess writer = state.region(region).orElseThrow(() -> new LabException("no region " + region));
        Map<String, MeridianClient> clients = new LinkedHashMap<>();
        javax.net.ssl.SSLContext tls = lab.tls().orElse(null);
        state.regions().forEach(r -> clients.put(r.name(), MeridianClient.connect(r.url(), MeridianClient.DEFAULT_TIMEOUT, tls)));
        List<Row> rows = new ArrayList<>();
        try (HttpLoad load = new HttpLoad(java.net.URI.create(writer.url()), tls)) {
            if (!warmup.isZero()) {
                int top = rates.stream().mapToInt(Integer::intValue).max().orElseThrow();
                out.printf("warming up: %d writes/s for %d s%n", top, warmup.toSeconds());
                writeAt(clients.get(region), load, keyspace, increments, top, warmup, valueBytes);
                awaitReplicated(clients, region, Duration.ofSeconds(60));
            }
            out.printf("%-13s %7s %9s %8s %6s %8s %8s %8s %8s %9s %11s %11s %13s%n", "to", "rate/s", "achieved", "writes", "failed",
                    "p50 ms", "p90 ms", "p99 ms", "max ms", "one-way", "bytes/write", "wan B/write", "wan late p99");
            for (int rate : rates) {
                clients.values().forEach(c -> c.raw(c.request("/v1/replication/reset-stats").POST(HttpRequest.BodyPublishers.noBody())));
                lab.resetLinkStats();
                long bytesBefore = bytesSent(clients.get(region));
                Map<String, Long> wanBefore = wanBytes(lab, state, region);
                long[] counts = writeAt(clients.get(region), load, keyspace, increments, rate, duration, valueBytes);
                awaitReplicated(clients, region, Duration.ofSeconds(60));
                long bytes = bytesSent(clients.get(region)) - bytesBefore;
                Map<String, Long> wanAfter = wanBytes(lab, state, region);
                Map<String, Double> late = wanLateP99(lab, state, region);
                double achieved = counts[0] / (counts[2] / 1e9);
                for (LabState.RegionProcess target : state.regions()) {
                    if (target.name().equals(region)) {
                        continue;
                    }
                    JsonNode d = clients.get(target.name()).getJson("/v1/cluster").path("replication").path("apply_delay_ms")
                            .path(region);
                    Row row = new Row(target.name(), rate, achieved, counts[0], counts[1], d.path("count").asLong(),
                            d.path("p50_ms").asLong(), d.path("p90_ms").asLong(), d.path("p99_ms").asLong(),
                            d.path("max_ms").asLong(), LabTopology.oneWayMillis(region, target.name()) * state.latencyScale(),
                            counts[0] == 0 ? 0 : (double) bytes / counts[0] / (state.regions().size() - 1),
                            counts[0] == 0 ? 0 : (double) (wanAfter.getOrDefault(target.name(), 0L)
                                    - wanBefore.getOrDefault(target.name(), 0L)) / counts[0], late.getOrDefault(target.name(), 0.0));
                    rows.add(row);
                    out.printf("%-13s %7d %9.0f %8d %6d %8d %8d %8d %8d %9.1f %11.0f %11.0f %13.1f%n", row.target(), rate, achieved,
                            row.writes(), row.failed(), row.p50Ms(), row.p90Ms(), row.p99Ms(), row.maxMs(), row.oneWayMs(),
                            row.bytesPerWrite(), row.wanBytesPerWrite(), row.wanLateP99Ms());
                }
            }
        } finally {
            clients.values().forEach(MeridianClient::close);
        }
        return rows;
    }

    /**
     * Open loop: write i is due at start + i/rate whatever happened to the earlier ones. Puts go
     * through {@link HttpLoad} (a light client: the writer shares the machine with the lab),
     * increments through the client. @return {written, failed, nanos}
     */
    private static long[] writeAt(MeridianClient client, HttpLoad load, String keyspace, boolean increments, int rate,
                                  Duration duration, int valueBytes) throws InterruptedException {
        long total = (long) rate * duration.toSeconds();
        JsonValues values = new JsonValues(rate);
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        AtomicLong written = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = start + i * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            inFlight.acquire();
            String key = "bench-" + rate + "-" + (i % 10_000);
            byte[] value = increments ? null : values.next(valueBytes);
            Thread.ofVirtual().start(() -> {
                try {
                    if (increments) {
                        client.increment(keyspace, key, 1);
                    } else if (load.put("/v1/kv/" + keyspace + "/" + key, value, "application/json") / 100 != 2) {
                        failed.incrementAndGet();
                        return;
                    }
                    written.incrementAndGet();
                } catch (java.io.IOException | RuntimeException e) {
                    failed.incrementAndGet();
                } finally {
                    inFlight.release();
                }
            });
        }
        inFlight.acquire(MAX_IN_FLIGHT);
        inFlight.release(MAX_IN_FLIGHT);
        return new long[] {written.get(), failed.get(), System.nanoTime() - start};
    }

    private static void awaitReplicated(Map<String, MeridianClient> clients, String origin, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        long head = clients.get(origin).getJson("/v1/cluster").path("replication").path("watermarks").path(origin).asLong();
        for (MeridianClient c : clients.values()) {
            while (c.getJson("/v1/cluster").path("replication").path("watermarks").path(origin).asLong() < head) {
                if (System.nanoTime() > deadline) {
                    throw new LabException(c.baseUrl() + " did not catch up with " + origin + " within " + max.toSeconds() + " s");
                }
                Thread.sleep(50);
            }
        }
    }

    /** Bytes on the replication links between {@code region} and each other region, both links and both directions, by the other. */
    private static Map<String, Long> wanBytes(Lab lab, LabState state, String region) {
        Map<String, Long> bytes = new java.util.TreeMap<>();
        replicationLinks(lab, state, region, (peer, l) -> bytes.merge(peer, l.path("bytes_forwarded").asLong(), Long::sum));
        return bytes;
    }

    /**
     * How late the emulator forwarded the replication traffic between {@code region} and each other
     * region since the last reset, by the other: the p99 of the worse direction (the links' chunks
     * are not merged, so this is an upper bound of the pair's p99 and the figure to set beside a lag's).
     */
    private static Map<String, Double> wanLateP99(Lab lab, LabState state, String region) {
        Map<String, Double> late = new java.util.TreeMap<>();
        replicationLinks(lab, state, region, (peer, l) -> late.merge(peer, l.path("late").path("p99_ms").asDouble(), Math::max));
        return late;
    }

    /** Each replication link of the emulator that joins {@code region} to another region, with that other region. */
    private static void replicationLinks(Lab lab, LabState state, String region, java.util.function.BiConsumer<String, JsonNode> each) {
        for (JsonNode l : lab.get(state.controlUrl() + "/v1/links").path("links")) {
            String from = l.path("from").asText();
            String to = l.path("to").asText();
            if (l.path("kind").asText().equals("replication") && (from.equals(region) || to.equals(region))) {
                each.accept(from.equals(region) ? to : from, l);
            }
        }
    }

    private static long bytesSent(MeridianClient client) {
        long bytes = 0;
        for (JsonNode p : client.getJson("/v1/cluster").path("replication").path("peers")) {
            bytes += p.path("bytes_sent").asLong();
        }
        return bytes;
    }
}
