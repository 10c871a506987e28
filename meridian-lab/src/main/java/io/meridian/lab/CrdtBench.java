package io.meridian.lab;

import io.meridian.client.MeridianClient;
import io.meridian.core.KeyspaceRules;
import io.meridian.core.crdt.CrdtCodec;
import io.meridian.core.crdt.CrdtOp;
import io.meridian.core.crdt.CrdtState;
import io.meridian.core.crdt.CrdtType;
import io.meridian.core.crdt.Crdts;
import io.meridian.core.replication.Hlc;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Measures CRDT keyspaces. On the running lab: counter increments per second with their latency,
 * from each region alone and from all at once, beside a PUT of the same size to a local keyspace
 * in the same region (an increment is a local write: it should cost about as much). In this
 * process: the size of a set's and a map's state (what snapshots carry) after many adds and
 * removes from three regions, beside the size of their live contents.
 */
public final class CrdtBench {
    /** Closed-loop writers per region. */
    static final int CONCURRENCY = 16;

    private CrdtBench() {
    }

    public static void run(Lab lab, Duration run, int operations, PrintStream out) throws Exception {
        LabState state = lab.state().orElseThrow(() -> new LabException("no lab is running; `meridian lab up` first"));
        String counters = lab.keyspaceWhere(r -> r.crdt().filter(t -> t instanceof CrdtType.Counter).isPresent(),
                "of CRDT counters");
        String local = lab.keyspaceWhere(r -> r.replication() == KeyspaceRules.Replication.NONE, "that is local");
        String replicated = lab.keyspaceWhere(r -> r.writtenEverywhere() && r.crdt().isEmpty(), "that is multi-master");
        Map<String, MeridianClient> clients = new LinkedHashMap<>();
        state.regions().forEach(r -> clients.put(r.name(), MeridianClient.connect(r.url(), Duration.ofSeconds(30), lab.tls().orElse(null))));
        try {
            String first = clients.keySet().iterator().next();
            out.printf("warming up: %d s of increments in %s%n", Math.min(5, run.toSeconds()), first);
            load(clients, List.of(first), counters, Mode.ONE_COUNTER, Duration.ofSeconds(Math.min(5, run.toSeconds())));
            out.printf("%-40s %10s %8s %8s %8s%n", "writes (" + CONCURRENCY + " writers per region)", "ops/s", "p50 ms",
                    "p99 ms", "failed");
            for (String region : clients.keySet()) {
                List<String> one = List.of(region);
                print(out, "increment one " + counters + " key in " + region, load(clients, one, counters, Mode.ONE_COUNTER, run));
                print(out, "increment a key per writer in " + region, load(clients, one, counters, Mode.COUNTER_PER_WRITER, run));
                print(out, "PUT " + replicated + " (a key per writer) in " + region, load(clients, one, replicated, Mode.PUT, run));
                print(out, "PUT " + local + " (a key per writer) in " + region, load(clients, one, local, Mode.PUT, run));
            }
            print(out, "increment one " + counters + " key in all regions",
                    load(clients, List.copyOf(clients.keySet()), counters, Mode.ONE_COUNTER, run));
        } finally {
            clients.values().forEach(MeridianClient::close);
        }
        metadata(operations, out);
    }

    private static void print(PrintStream out, String what, ClosedLoop.Result r) {
        out.printf("%-40s %10.0f %8.1f %8.1f %8d%n", what, r.perSecond(), r.p50Ms(), r.p99Ms(), r.failed());
    }

    /** What each writer sends: increments of one shared counter, of a counter of its own, or PUTs of small values. */
    private enum Mode { ONE_COUNTER, COUNTER_PER_WRITER, PUT }

    private static ClosedLoop.Result load(Map<String, MeridianClient> clients, List<String> regions, String keyspace, Mode mode,
                                          Duration run) throws InterruptedException {
        return ClosedLoop.run(CONCURRENCY * regions.size(), run, (writer, n) -> {
            String region = regions.get(writer % regions.size());
            MeridianClient c = clients.get(region);
            switch (mode) {
                case ONE_COUNTER -> c.increment(keyspace, "bench", 1);
                case COUNTER_PER_WRITER -> c.increment(keyspace, "bench-" + region + "-" + writer, 1);
                case PUT -> c.put(keyspace, "bench-" + region + "-" + writer, "1");
            }
        });
    }

    /**
     * Three replicas of a set and of a map of counters take {@code operations} random adds and
     * removes (updates and field removes) over 1,000 elements, each delta delivered to every
     * replica: the state's encoded size against its live contents.
     */
    static void metadata(int operations, PrintStream out) {
        List<String> regions = List.of("us-east", "eu-west", "ap-southeast");
        Random random = new Random(42);
        CrdtType set = new CrdtType.Set();
        CrdtType map = new CrdtType.Map(new CrdtType.Counter());
        // Every delta reaches every region at once, so the three replicas hold one state: keep it once.
        CrdtState sets = CrdtState.empty(set);
        CrdtState maps = CrdtState.empty(map);
        long deltaBytes = 0;
        for (int i = 0; i < operations; i++) {
            String region = regions.get(random.nextInt(3));
            String element = "element-" + random.nextInt(1_000);
            boolean add = random.nextBoolean();
            Hlc stamp = new Hlc(i, 0);
            CrdtState d = Crdts.delta(set, sets, List.of(add ? new CrdtOp.Add(List.of(element))
                    : new CrdtOp.Remove(List.of(element))), region, stamp);
            CrdtState m = Crdts.delta(map, maps, List.of(add
                    ? new CrdtOp.Update(Map.of(element, List.of(new CrdtOp.Increment(1)))) : new CrdtOp.RemoveField(element)),
                    region, stamp);
            deltaBytes += CrdtCodec.encode(d).length;
            sets = sets.join(d);
            maps = maps.join(m);
        }
        List<?> elements = (List<?>) Crdts.value(set, sets.store());
        long live = elements.stream().mapToLong(e -> e.toString().getBytes(StandardCharsets.UTF_8).length).sum();
        Map<?, ?> fields = (Map<?, ?>) Crdts.value(map, maps.store());
        long liveFields = fields.keySet().stream().mapToLong(f -> f.toString().getBytes(StandardCharsets.UTF_8).length + 8).sum();
        out.printf("%nmetadata after %,d adds and removes from 3 regions over 1,000 elements:%n", operations);
        out.printf("  set: %d live elements, %d bytes of them; state %d bytes (%.2f x), context %s%n", elements.size(), live,
                CrdtCodec.encode(sets).length, (double) CrdtCodec.encode(sets).length / Math.max(1, live),
                sets.context().vector());
        out.printf("  map<counter>: %d live fields, %d bytes of names and 64-bit values; state %d bytes (%.2f x)%n",
                fields.size(), liveFields, CrdtCodec.encode(maps).length,
                (double) CrdtCodec.encode(maps).length / Math.max(1, liveFields));
        out.printf("  a set delta: %.0f bytes on average (an operation's change, not the state)%n", (double) deltaBytes / operations);
    }
}
