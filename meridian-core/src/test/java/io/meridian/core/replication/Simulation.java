package io.meridian.core.replication;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A deterministic simulation of asynchronous replication across N regions: the pure
 * {@link Replica}, {@link Outbound} and {@link Subscriptions} driven by one seeded event queue
 * (ordered by time, then by insertion), over a simulated WAN with per-pair delays, jitter
 * (which reorders messages), duplication, loss, partitions, crashes (a restart with the disk
 * intact) and drifting clocks. One seed, one run: a failure prints the seed and replays exactly.
 *
 * <p>Protocol, as the node runs it: every tick each region works out which peer to ask for which
 * origin ({@link Subscriptions}), (re)subscribes, and ships each subscriber the next entries of
 * its {@link Outbound} (an empty batch doubles as a heartbeat). A receiver applies a batch and
 * acknowledges with its watermarks.
 */
final class Simulation {
    static final String PRIMARY = "catalog";
    static final String HOME = "profiles";
    static final String MULTI = "sessions";

    /** Knobs of one run, all derived from the seed. */
    record Params(int regions, long durationMillis, double writesPerSecond, double dropRate, double duplicateRate,
                  long jitterMillis, int partitions, int crashes, boolean createRaces, boolean customResolver) {
        static Params from(Random r) {
            return new Params(2 + r.nextInt(3), 3_000 + r.nextInt(4_000), 20 + r.nextInt(80),
                    r.nextDouble() * 0.1, r.nextDouble() * 0.1, r.nextInt(60), r.nextInt(3), r.nextInt(3), r.nextBoolean(),
                    r.nextBoolean());
        }
    }

    /** A resolver unlike last-writer-wins, half of the runs: the longer value wins (deletes are shortest). */
    static final ConflictResolver LONGER_VALUE_WINS = (a, b) -> Integer.compare(a.value().length, b.value().length);

    static final long TICK_MILLIS = 20;
    static final long HEARD_TIMEOUT_MILLIS = 300;
    static final long RESUBSCRIBE_MILLIS = 1_000;
    static final int BATCH_ENTRIES = 32;
    static final int WINDOW_ENTRIES = 64;
    static final long RETRANSMIT_MILLIS = 400;
    /** After the workload stops and the faults heal, how long the system has to converge. */
    static final long SETTLE_LIMIT_MILLIS = 60_000;

    final long seed;
    final Random random;
    final Params params;
    final List<String> names = new ArrayList<>();
    final Map<String, Node> nodes = new LinkedHashMap<>();
    final long[][] latency;
    final Set<String> cut = new HashSet<>();
    final PriorityQueue<Event> queue = new PriorityQueue<>();
    long now;
    long eventSeq;
    boolean faultsOn = true;

    // Oracle: everything the checker needs to judge the outcome.
    final Map<String, Entry> acknowledged = new LinkedHashMap<>();
    final Set<String> accounted = new HashSet<>();
    final List<Client> clients = new ArrayList<>();
    long sessionChecks;
    long conflictsSeen;

    record Event(long time, long seq, Runnable action) implements Comparable<Event> {
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    final class Node {
        final String name;
        final MemStore disk = new MemStore();
        final long clockOffset;
        final double clockDrift;
        Replica replica;
        boolean up = true;
        final Map<String, Outbound> outbound = new TreeMap<>();
        final Map<String, Long> lastHeard = new TreeMap<>();
        Map<String, Set<String>> plan = Map.of();
        long lastSubscribe = Long.MIN_VALUE / 2;
        Hlc lastIssued = Hlc.ZERO;

        Node(String name) {
            this.name = name;
            this.clockOffset = random.nextInt(101) - 50;
            this.clockDrift = (random.nextDouble() - 0.5) * 0.02;
            this.replica = newReplica();
        }

        Replica newReplica() {
            return new Replica(name, disk, keyspace -> params.customResolver && keyspace.equals(MULTI)
                    ? LONGER_VALUE_WINS : ConflictResolver.LWW);
        }

        long wall() {
            return Math.max(0, now + clockOffset + (long) (now * clockDrift));
        }

        void crash() {
            up = false;
            outbound.clear();
            lastHeard.clear();
            plan = Map.of();
        }

        void restart() {
            replica = newReplica();
            up = true;
            lastSubscribe = Long.MIN_VALUE / 2;
        }
    }

    final class Client {
        final int id;
        SessionToken token = SessionToken.EMPTY;
        final Map<String, Stamp> lastWrite = new HashMap<>();

        Client(int id) {
            this.id = id;
        }
    }

    Simulation(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
        this.params = Params.from(random);
        for (int i = 0; i < params.regions; i++) {
            names.add("r" + i);
        }
        latency = new long[params.regions][params.regions];
        for (int i = 0; i < params.regions; i++) {
            for (int j = i + 1; j < params.regions; j++) {
                latency[i][j] = latency[j][i] = 5 + random.nextInt(100);
            }
        }
        names.forEach(n -> nodes.put(n, new Node(n)));
        for (int i = 0; i < 4; i++) {
            clients.add(new Client(i));
        }
    }

    void at(long time, Runnable action) {
        queue.add(new Event(time, eventSeq++, action));
    }

    /** Runs the workload with faults, then heals everything and runs until converged. */
    void run() {
        for (Node n : nodes.values()) {
            at(random.nextInt((int) TICK_MILLIS), () -> tick(n));
        }
        scheduleWorkload();
        scheduleFaults();
        at(params.durationMillis, this::healAll);
        long deadline = params.durationMillis + SETTLE_LIMIT_MILLIS;
        while (!queue.isEmpty()) {
            Event e = queue.poll();
            now = e.time;
            if (now > params.durationMillis && converged()) {
                return;
            }
            if (now > deadline) {
                throw new AssertionError("no convergence " + SETTLE_LIMIT_MILLIS + " ms after healing; " + describe());
            }
            e.action.run();
        }
    }

    // ---- workload ----

    private void scheduleWorkload() {
        long gap = (long) (1_000 / params.writesPerSecond);
        for (long t = 10; t < params.durationMillis - 100; t += 1 + random.nextInt((int) (2 * gap))) {
            Client c = clients.get(random.nextInt(clients.size()));
            int kind = random.nextInt(10);
            if (kind < 6) {
                at(t, () -> write(c));
            } else {
                at(t, () -> read(c));
            }
        }
        if (params.createRaces) {
            for (int i = 0; i < 3; i++) {
                long t = 100 + random.nextInt((int) params.durationMillis - 200);
                String key = "race-" + i;
                for (String region : names) {
                    at(t, () -> writeAt(nodes.get(region), null, HOME, key, region));
                }
            }
        }
    }

    private void write(Client c) {
        String keyspace = List.of(PRIMARY, HOME, MULTI).get(random.nextInt(3));
        String key = "k" + random.nextInt(4);
        Node at = switch (keyspace) {
            case PRIMARY -> nodes.get(names.getFirst());                       // writes go to the primary
            case HOME -> nodes.get(names.get(Math.floorMod(key.hashCode(), names.size()))); // and to the key's home
            default -> nodes.get(names.get(random.nextInt(names.size())));      // anywhere
        };
        writeAt(at, c, keyspace, key, keyspace.equals(HOME) ? at.name : "");
    }

    private void writeAt(Node at, Client c, String keyspace, String key, String home) {
        if (!at.up) {
            return; // the client gets an error: nothing acknowledged
        }
        boolean delete = random.nextInt(8) == 0;
        byte[] value = ("v" + eventSeq + "x".repeat(random.nextInt(4))).getBytes(StandardCharsets.UTF_8);
        Replica.Write w = delete ? Replica.Write.delete(keyspace, key, home)
                : Replica.Write.put(keyspace, key, value, "text/plain", home);
        Replica.Written written = at.replica.write(w, at.wall());
        Entry e = written.entry();
        if (!e.hlc().isAfter(at.lastIssued)) {
            throw new AssertionError(at.name + " issued " + e.hlc() + " after " + at.lastIssued);
        }
        at.lastIssued = e.hlc();
        written.replaced().ifPresent(old -> old.siblings().forEach(s -> accounted.add(id(s))));
        acknowledged.put(id(e), e);
        if (c != null) {
            c.token = c.token.with(e.stamp());
            c.lastWrite.put(keyspace + "/" + key, e.stamp());
        }
    }

    /** A session read anywhere: when the replica's watermarks cover the token, it must show the client's writes. */
    private void read(Client c) {
        Node at = nodes.get(names.get(random.nextInt(names.size())));
        if (!at.up || c.lastWrite.isEmpty() || !c.token.satisfiedBy(at.disk.watermarks())) {
            return; // the node would wait, then forward: covered by the integration tests
        }
        for (Map.Entry<String, Stamp> w : c.lastWrite.entrySet()) {
            String[] parts = w.getKey().split("/", 2);
            KeyState current = at.disk.state(parts[0], parts[1]).orElseThrow(() ->
                    new AssertionError(at.name + " covers session " + c.token.format() + " but has no " + w.getKey()));
            if (!current.includes(w.getValue().origin(), w.getValue().seq())) {
                throw new AssertionError(at.name + " covers session " + c.token.format() + " but " + w.getKey()
                        + " is " + current + ", before the session's write " + w.getValue());
            }
            sessionChecks++;
        }
    }

    // ---- faults ----

    private void scheduleFaults() {
        for (int i = 0; i < params.partitions; i++) {
            String a = names.get(random.nextInt(names.size()));
            String b = names.get(random.nextInt(names.size()));
            long start = random.nextInt((int) params.durationMillis);
            long length = 100 + random.nextInt(2_000);
            if (!a.equals(b)) {
                at(start, () -> {
                    cut.add(a + ">" + b);
                    if (random.nextBoolean()) {
                        cut.add(b + ">" + a); // else a one-way partition
                    }
                });
                at(start + length, () -> {
                    cut.remove(a + ">" + b);
                    cut.remove(b + ">" + a);
                });
            }
        }
        for (int i = 0; i < params.crashes; i++) {
            Node n = nodes.get(names.get(random.nextInt(names.size())));
            long start = random.nextInt((int) params.durationMillis);
            at(start, () -> {
                if (n.up) {
                    n.crash();
                    at(now + 50 + random.nextInt(1_500), () -> {
                        if (!n.up) {
                            n.restart();
                        }
                    });
                }
            });
        }
    }

    private void healAll() {
        faultsOn = false;
        cut.clear();
        nodes.values().stream().filter(n -> !n.up).forEach(Node::restart);
    }

    // ---- network ----

    private void send(String from, String to, Runnable onDelivery) {
        if (faultsOn && random.nextDouble() < params.dropRate) {
            return;
        }
        long delay = latency[names.indexOf(from)][names.indexOf(to)] + (params.jitterMillis == 0 ? 0 : random.nextInt((int) params.jitterMillis));
        Runnable deliver = () -> {
            if (!cut.contains(from + ">" + to) && nodes.get(to).up) {
                onDelivery.run();
            }
        };
        if (!cut.contains(from + ">" + to)) {
            at(now + delay, deliver);
            if (faultsOn && random.nextDouble() < params.duplicateRate) {
                at(now + delay + random.nextInt(50), deliver);
            }
        }
    }

    // ---- protocol ----

    private void tick(Node n) {
        at(now + TICK_MILLIS, () -> tick(n));
        if (!n.up) {
            return;
        }
        Set<String> reachable = new HashSet<>();
        n.lastHeard.forEach((peer, t) -> {
            if (now - t <= HEARD_TIMEOUT_MILLIS) {
                reachable.add(peer);
            }
        });
        Map<String, Set<String>> plan = Subscriptions.plan(n.name, names, reachable);
        for (String peer : names) {
            if (!peer.equals(n.name) && !plan.containsKey(peer)) {
                plan.put(peer, Set.of(peer)); // probe unreachable peers for their own writes; they answer with heartbeats
            }
        }
        if (!plan.equals(n.plan) || now - n.lastSubscribe >= RESUBSCRIBE_MILLIS) {
            n.plan = plan;
            n.lastSubscribe = now;
            plan.forEach((peer, origins) -> {
                Map<String, Long> from = new TreeMap<>();
                origins.forEach(o -> from.put(o, n.disk.watermark(o)));
                send(n.name, peer, () -> onSubscribe(nodes.get(peer), n.name, from));
            });
        }
        for (Outbound out : n.outbound.values()) {
            List<Entry> batch = out.next(n.disk, BATCH_ENTRIES, now);
            String target = out.target();
            send(n.name, target, () -> onBatch(nodes.get(target), n.name, batch));
        }
    }

    private void onSubscribe(Node n, String subscriber, Map<String, Long> from) {
        n.outbound.computeIfAbsent(subscriber, s -> new Outbound(s, WINDOW_ENTRIES, RETRANSMIT_MILLIS)).subscribe(from, now);
    }

    private void onBatch(Node n, String from, List<Entry> batch) {
        n.lastHeard.put(from, now);
        for (Entry e : batch) {
            Replica.Applied applied = n.replica.apply(e, n.wall());
            if (applied instanceof Replica.Applied.Accepted a) {
                a.replaced().forEach(old -> accounted.add(id(old)));
                a.conflict().ifPresent(c -> {
                    accounted.add(id(c.loser()));
                    conflictsSeen++;
                });
            }
        }
        VersionVector watermarks = n.disk.watermarks();
        send(n.name, from, () -> {
            Node sender = nodes.get(from);
            sender.lastHeard.put(n.name, now);
            Outbound out = sender.outbound.get(n.name);
            if (out != null) {
                out.onAck(watermarks, now);
            }
        });
    }

    // ---- checks ----

    static String id(Entry e) {
        return e.origin() + ":" + e.seq();
    }

    boolean converged() {
        VersionVector first = null;
        for (Node n : nodes.values()) {
            if (!n.up) {
                return false;
            }
            if (first == null) {
                first = n.disk.watermarks();
            } else if (!first.equals(n.disk.watermarks())) {
                return false;
            }
        }
        for (String region : names) {
            if (first.get(region) != nodes.get(region).disk.watermark(region)) {
                return false;
            }
        }
        return true;
    }

    /** The invariants once healed and converged. */
    void check() {
        Node reference = nodes.values().iterator().next();
        for (Node n : nodes.values()) {
            if (!n.disk.current.equals(reference.disk.current)) {
                throw new AssertionError("replicas differ: " + reference.name + " " + reference.disk.current.values()
                        + " vs " + n.name + " " + n.disk.current.values());
            }
        }
        Set<String> winners = new HashSet<>();
        reference.disk.current.values().forEach(state -> state.siblings().forEach(e -> winners.add(id(e))));
        for (Entry e : acknowledged.values()) {
            String id = id(e);
            if (!winners.contains(id) && !accounted.contains(id)) {
                throw new AssertionError("acknowledged write " + e + " vanished: not current, not followed by a later"
                        + " write, not on any conflict feed");
            }
        }
        for (Node n : nodes.values()) {
            for (Conflict c : n.disk.conflicts) {
                if (c.keyspace().equals(PRIMARY) || (c.keyspace().equals(HOME) && !c.key().startsWith("race-"))) {
                    throw new AssertionError("a single-writer key had a conflict: " + c);
                }
            }
        }
        for (Entry e : acknowledged.values()) {
            boolean singleWriter = e.keyspace().equals(PRIMARY) || (e.keyspace().equals(HOME) && !e.key().startsWith("race-"));
            if (singleWriter) {
                Optional<KeyState> current = reference.disk.state(e.keyspace(), e.key());
                if (current.isEmpty() || current.get().siblings().size() != 1 || !current.get().includes(e.origin(), e.seq())) {
                    throw new AssertionError("acknowledged single-writer write " + e + " is not in the final state " + current);
                }
            }
        }
    }

    String describe() {
        StringBuilder s = new StringBuilder("seed " + seed + " " + params + "\n");
        for (Node n : nodes.values()) {
            s.append("  ").append(n.name).append(n.up ? " up" : " down").append(" watermarks ")
                    .append(n.disk.watermarks()).append(" outbound ").append(n.outbound.keySet()).append('\n');
        }
        return s.toString();
    }
}
