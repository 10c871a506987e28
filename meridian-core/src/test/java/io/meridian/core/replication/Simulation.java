package io.meridian.core.replication;

import io.meridian.core.Consistency;
import io.meridian.core.KeyspaceRules;
import io.meridian.core.Policy;
import io.meridian.core.routing.Router;
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
    /** A CRDT keyspace of counters: every region increments, replicas merge. */
    static final String COUNTERS = "likes";
    /** An event-log keyspace: each stream's home appends, with expected versions and retries. */
    static final String EVENTS = "orders";

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
    /** A request visits at most two regions: as in a node, a forwarded request is not forwarded again. */
    static final int MAX_HOPS = 2;
    static final long HEARD_TIMEOUT_MILLIS = 300;
    /** The machine's settings: logs are never trimmed here (the simulation has no snapshots); tombstones are collected. */
    static final ReplicationMachine.Settings SETTINGS = new ReplicationMachine.Settings(HEARD_TIMEOUT_MILLIS,
            Long.MAX_VALUE / 4, 1_000, 0, 0);
    static final io.meridian.core.crdt.CrdtType COUNTER = new io.meridian.core.crdt.CrdtType.Counter();
    static final Map<String, Policy> POLICIES = Map.of(PRIMARY, new Policy.Primary("r0"), HOME, new Policy.HomeRegion(),
            MULTI, new Policy.MultiMaster(Policy.MultiMaster.LWW), COUNTERS, new Policy.Crdt(COUNTER), EVENTS, new Policy.EventLog());
    static final Map<String, KeyspaceRules> RULES = Map.of(PRIMARY, KeyspaceRules.of(POLICIES.get(PRIMARY)),
            HOME, KeyspaceRules.of(POLICIES.get(HOME)), MULTI, KeyspaceRules.of(POLICIES.get(MULTI)),
            COUNTERS, KeyspaceRules.of(POLICIES.get(COUNTERS)), EVENTS, KeyspaceRules.of(POLICIES.get(EVENTS)));
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
    long freshnessChecks;
    long conflictsSeen;
    long tombstonesCollected;
    long forwards;
    long unroutable;
    /** The multi-master keyspace refuses writes over this RPO budget: the budget's law is checked at every write. */
    static final io.meridian.core.config.RpoBudget BUDGET = new io.meridian.core.config.RpoBudget(java.time.Duration.ofMillis(150),
            io.meridian.core.config.RpoBudget.OnExceeded.REFUSE);
    /** Per acknowledged write of the budgeted keyspace, when its region acknowledged it (its clock). */
    final Map<String, Long> budgetAcknowledged = new LinkedHashMap<>();
    long budgetRefusals;
    long budgetChecks;
    /** Per counter key, the sum of every acknowledged increment. */
    final Map<String, Long> counterSums = new TreeMap<>();
    long increments;
    /** Per stream, the event id acknowledged at each version: no version is ever acknowledged for two events. */
    final Map<String, TreeMap<Long, String>> appendedEvents = new TreeMap<>();
    long appends;
    long eventIds;
    long retriedAppends;
    long refusedAppends;
    /** Per region, the $all positions it showed and the event at each: a position never changes once read. */
    final Map<String, Map<Long, String>> positionsRead = new TreeMap<>();

    record Event(long time, long seq, Runnable action) implements Comparable<Event> {
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    final class Node {
        final String name;
        final MemStore disk = new MemStore(keyspace -> keyspace.equals(EVENTS));
        final long clockOffset;
        final double clockDrift;
        ReplicationMachine machine;
        boolean up = true;
        final Map<String, Outbound> outbound = new TreeMap<>();
        /** When each peer was last heard from, on this node's clock. */
        final Map<String, Long> lastHeard = new TreeMap<>();
        Map<String, Set<String>> plan = Map.of();
        long lastSubscribe = Long.MIN_VALUE / 2;
        Hlc lastIssued = Hlc.ZERO;

        Node(String name) {
            this.name = name;
            this.clockOffset = random.nextInt(101) - 50;
            this.clockDrift = (random.nextDouble() - 0.5) * 0.02;
            this.machine = newMachine();
        }

        ReplicationMachine newMachine() {
            Replica replica = new Replica(name, disk, keyspace -> params.customResolver && keyspace.equals(MULTI)
                    ? LONGER_VALUE_WINS : ConflictResolver.LWW, OriginFence.NONE,
                    keyspace -> keyspace.equals(COUNTERS) ? io.meridian.core.crdt.CrdtCodec::join : null);
            return new ReplicationMachine(replica, names, SETTINGS);
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
            machine = newMachine();
            up = true;
            lastSubscribe = Long.MIN_VALUE / 2;
        }

        /** What this node knows when it routes, as the node's engine builds it. */
        Router.View view() {
            return new Router.View() {
                public String region() {
                    return name;
                }

                public List<String> dataRegions() {
                    return names;
                }

                public boolean covers(SessionToken token) {
                    return token.satisfiedBy(disk.watermarks());
                }

                public Optional<String> uncoveredOrigin(SessionToken token) {
                    return token.writes().seqs().entrySet().stream().filter(e -> disk.watermark(e.getKey()) < e.getValue())
                            .map(Map.Entry::getKey).findFirst();
                }

                public Optional<Long> stalenessMillis(String origin) {
                    return machine.stalenessMillis(origin, wall());
                }

                public Optional<String> acting(String keyspace, String owner) {
                    return Optional.of(owner); // no failover in this simulation
                }

                public long epoch() {
                    return 0;
                }

                public long sessionWaitMillis() {
                    return 0;
                }
            };
        }
    }

    final class Client {
        final int id;
        SessionToken token = SessionToken.EMPTY;
        final Map<String, Stamp> lastWrite = new HashMap<>();
        /** Per stream, the client's last append (retried as it was) and the last version it saw. */
        final Map<String, io.meridian.core.events.AppendRequest> lastAppend = new HashMap<>();
        final Map<String, Long> seenVersion = new HashMap<>();

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

    /**
     * A client's write, sent to a random region and routed from there by the node's own
     * {@link Router}: forwarded to the region allowed to make it, or (data written everywhere)
     * to the region that made the session's writes. The simulation does not advance time inside
     * a request, so a wait for the session's writes always times out.
     */
    private void write(Client c) {
        String keyspace = List.of(PRIMARY, HOME, MULTI, COUNTERS, EVENTS).get(random.nextInt(5));
        String key = "k" + random.nextInt(4);
        // Home-region keys: the client names each key's home, the same region for a key every time.
        String home = keyspace.equals(HOME) || keyspace.equals(EVENTS) ? names.get(Math.floorMod(key.hashCode(), names.size())) : "";
        Node at = nodes.get(names.get(random.nextInt(names.size())));
        for (int hops = 0; hops < MAX_HOPS; hops++) {
            if (!at.up) {
                return; // the client gets an error: nothing acknowledged
            }
            Router.Write w = new Router.Write(keyspace, key, c.token, home, false);
            Router.Route route = Router.decide(w, RULES.get(keyspace), at.view());
            if (route instanceof Router.Route.AwaitSession) {
                route = Router.decide(w.waitedForSession(), RULES.get(keyspace), at.view());
            }
            switch (route) {
                case Router.Route.Serve serve -> {
                    writeAt(at, c, keyspace, key, home);
                    return;
                }
                case Router.Route.Forward forward -> {
                    if (forward.region().equals(at.name)) {
                        throw new AssertionError("the router forwarded a write from " + at.name + " to itself");
                    }
                    at = nodes.get(forward.region());
                    forwards++;
                }
                case Router.Route.Refuse refuse -> {
                    return;
                }
                case Router.Route.AwaitSession again -> throw new AssertionError("the router asked to wait twice");
            }
        }
        unroutable++; // a forwarded request that would go on: the node refuses it (503), the client gets an error
    }

    private void writeAt(Node at, Client c, String keyspace, String key, String home) {
        if (!at.up) {
            return; // the client gets an error: nothing acknowledged
        }
        if (keyspace.equals(COUNTERS)) {
            increment(at, c, key);
            return;
        }
        if (keyspace.equals(EVENTS)) {
            append(at, c, key, home);
            return;
        }
        if (keyspace.equals(MULTI) && at.machine.exposure().overBudget(MULTI, BUDGET, at.wall()).isPresent()) {
            budgetRefusals++;
            return; // refused (503): nothing written, nothing acknowledged
        }
        boolean delete = random.nextInt(8) == 0;
        byte[] value = ("v" + eventSeq + "x".repeat(random.nextInt(4))).getBytes(StandardCharsets.UTF_8);
        Replica.Write w = delete ? Replica.Write.delete(keyspace, key, home)
                : Replica.Write.put(keyspace, key, value, "text/plain", home);
        Replica.Written written = at.machine.write(w, at.wall());
        Entry e = written.entry();
        if (!e.hlc().isAfter(at.lastIssued)) {
            throw new AssertionError(at.name + " issued " + e.hlc() + " after " + at.lastIssued);
        }
        at.lastIssued = e.hlc();
        written.replaced().ifPresent(old -> old.siblings().forEach(s -> accounted.add(id(s))));
        acknowledged.put(id(e), e);
        if (keyspace.equals(MULTI)) {
            checkBudget(at, e);
        }
        if (c != null) {
            c.token = c.token.with(e.stamp());
            c.lastWrite.put(keyspace + "/" + key, e.stamp());
        }
    }

    /**
     * The RPO budget's law, when {@code at} acknowledges {@code e}: every write of the budgeted
     * keyspace it acknowledged more than one budget earlier is on another region's disk. (What a
     * region holds alone was all acknowledged within one budget-long window.)
     */
    private void checkBudget(Node at, Entry e) {
        long now = at.wall();
        budgetAcknowledged.put(id(e), now);
        budgetChecks++;
        for (Map.Entry<String, Long> w : budgetAcknowledged.entrySet()) {
            Entry write = acknowledged.get(w.getKey());
            if (!write.origin().equals(at.name) || w.getValue() >= now - BUDGET.budgetMillis()) {
                continue;
            }
            boolean heldElsewhere = nodes.values().stream()
                    .anyMatch(n -> !n.name.equals(at.name) && n.disk.watermark(at.name) >= write.seq());
            if (!heldElsewhere) {
                throw new AssertionError(at.name + " acknowledged " + e.stamp() + " at " + now + " while it alone held "
                        + write.stamp() + ", acknowledged at " + w.getValue() + ", more than the budget of "
                        + BUDGET.budgetMillis() + " ms earlier");
            }
        }
    }

    /** An increment of a CRDT counter, made where the client is: merged everywhere, never in conflict. */
    private void increment(Node at, Client c, String key) {
        long amount = random.nextInt(21) - 10;
        Replica.Written written = at.machine.writeMerged(COUNTERS, key, io.meridian.core.crdt.CrdtCodec.CONTENT_TYPE,
                (current, stamp) -> {
                    io.meridian.core.crdt.CrdtState state = current.map(io.meridian.core.crdt.CrdtCodec::decode)
                            .orElse(io.meridian.core.crdt.CrdtState.empty(COUNTER));
                    return io.meridian.core.crdt.CrdtCodec.encode(io.meridian.core.crdt.Crdts.delta(COUNTER, state,
                            List.of(new io.meridian.core.crdt.CrdtOp.Increment(amount)), at.name, stamp));
                }, at.wall());
        counterSums.merge(key, amount, Long::sum);
        increments++;
        c.token = c.token.with(written.entry().stamp());
        c.lastWrite.put(COUNTERS + "/" + key, written.entry().stamp());
    }

    /**
     * An append at the stream's home, as the event-log engine makes it: a retry of the client's
     * last append (same ids) a fifth of the time, else new events expecting any version or the
     * last one the client saw (stale when others appended since).
     */
    private void append(Node at, Client c, String stream, String home) {
        io.meridian.core.events.AppendRequest request;
        String retryKey = EVENTS + "/" + stream;
        if (random.nextInt(5) == 0 && c.lastAppend.containsKey(retryKey)) {
            request = c.lastAppend.get(retryKey);
        } else {
            List<io.meridian.core.events.Event> events = new ArrayList<>();
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                events.add(new io.meridian.core.events.Event(new java.util.UUID(seed, ++eventIds).toString(), "T",
                        ("" + eventSeq).getBytes(StandardCharsets.UTF_8), new byte[0]));
            }
            long expected = random.nextBoolean() ? io.meridian.core.events.AppendRequest.ANY : c.seenVersion.getOrDefault(stream, 0L);
            request = new io.meridian.core.events.AppendRequest(expected, events);
        }
        io.meridian.core.events.EventLog.Decision[] decision = new io.meridian.core.events.EventLog.Decision[1];
        Optional<KeyState> current = at.disk.state(EVENTS, stream);
        long last = current.map(s -> io.meridian.core.events.EventCodec.decode(s.winner().value()).lastVersion()).orElse(0L);
        TreeMap<Long, io.meridian.core.events.StoredEvent> held = at.disk.events.getOrDefault(EVENTS + "\0" + stream, new TreeMap<>());
        decision[0] = io.meridian.core.events.EventLog.decide(request, last, id -> held.values().stream()
                .filter(e -> e.event().id().equals(id)).mapToLong(io.meridian.core.events.StoredEvent::version).findFirst());
        c.lastAppend.put(retryKey, request);
        switch (decision[0]) {
            case io.meridian.core.events.EventLog.Decision.Appended a -> {
                Replica.Written written = at.machine.write(Replica.Write.put(EVENTS, stream,
                        io.meridian.core.events.EventCodec.encode(a.append()), io.meridian.core.events.EventCodec.CONTENT_TYPE,
                        home), at.wall());
                Entry e = written.entry();
                acknowledged.put(id(e), e);
                written.replaced().ifPresent(old -> old.siblings().forEach(sib -> accounted.add(id(sib))));
                TreeMap<Long, String> versions = appendedEvents.computeIfAbsent(stream, k -> new TreeMap<>());
                for (int i = 0; i < a.append().events().size(); i++) {
                    String was = versions.put(a.append().firstVersion() + i, a.append().events().get(i).id());
                    if (was != null) {
                        throw new AssertionError("version " + (a.append().firstVersion() + i) + " of " + stream
                                + " acknowledged twice: " + was + " and " + a.append().events().get(i).id());
                    }
                }
                c.token = c.token.with(e.stamp());
                c.lastWrite.put(EVENTS + "/" + stream, e.stamp());
                c.seenVersion.put(stream, a.append().lastVersion());
                appends++;
            }
            case io.meridian.core.events.EventLog.Decision.AlreadyAppended again -> {
                TreeMap<Long, String> versions = appendedEvents.get(stream);
                for (int i = 0; i < request.events().size(); i++) {
                    if (versions == null || !request.events().get(i).id().equals(versions.get(again.firstVersion() + i))) {
                        throw new AssertionError("a retry of " + request.events() + " on " + stream + " was answered with"
                                + " versions " + again + " that hold other events: " + versions);
                    }
                }
                retriedAppends++;
            }
            case io.meridian.core.events.EventLog.Decision.WrongExpectedVersion w -> {
                c.seenVersion.put(stream, w.current());
                refusedAppends++;
            }
            case io.meridian.core.events.EventLog.Decision.PartlyAppended p ->
                    throw new AssertionError("a retry of one whole append was seen as partly appended: " + p);
        }
    }

    /** Reads a region's $all and remembers each position's event: positions never change once read. */
    private void readAll(Node at) {
        Map<Long, String> seen = positionsRead.computeIfAbsent(at.name, k -> new TreeMap<>());
        long previous = 0;
        for (io.meridian.core.events.StoredEvent e : at.disk.all.getOrDefault(EVENTS, new TreeMap<>()).values()) {
            if (e.position() <= previous) {
                throw new AssertionError(at.name + "'s $all goes back from " + previous + " to " + e.position());
            }
            previous = e.position();
            String was = seen.putIfAbsent(e.position(), e.stream() + "@" + e.version() + "=" + e.event().id());
            if (was != null && !was.equals(seen.get(e.position()))) {
                throw new AssertionError("position " + e.position() + " of " + at.name + " was " + was + " and is now "
                        + e.stream() + "@" + e.version());
            }
        }
        for (Map.Entry<Long, String> p : seen.entrySet()) {
            io.meridian.core.events.StoredEvent now = at.disk.all.getOrDefault(EVENTS, new TreeMap<>()).get(p.getKey());
            if (now == null || !p.getValue().equals(now.stream() + "@" + now.version() + "=" + now.event().id())) {
                throw new AssertionError("position " + p.getKey() + " of " + at.name + " was " + p.getValue() + " and is now " + now);
            }
        }
    }

    /**
     * A session read of every key the client wrote, at a random region: when the {@link Router}
     * serves it there, it must show the client's writes. Also checks that the region's freshness
     * never claims more than it holds.
     */
    private void read(Client c) {
        Node at = nodes.get(names.get(random.nextInt(names.size())));
        if (!at.up) {
            return;
        }
        checkFreshness(at);
        readAll(at);
        for (Map.Entry<String, Stamp> w : c.lastWrite.entrySet()) {
            String[] parts = w.getKey().split("/", 2);
            Optional<KeyState> current = at.disk.state(parts[0], parts[1]);
            Router.Read r = new Router.Read(parts[0], POLICIES.get(parts[0]).name(), Optional.of(parts[1]),
                    new Consistency.Session(), c.token, current.map(s -> s.winner().home()).orElse(""), current.isPresent(), false);
            if (!(Router.decide(r, RULES.get(parts[0]), at.view()) instanceof Router.Route.Serve)) {
                continue; // the node would wait, then forward: covered by the integration tests
            }
            if (current.isEmpty() && wasCollected(at, w.getValue())) {
                sessionChecks++;
                continue;
            }
            KeyState state = current.orElseThrow(() -> new AssertionError(at.name + " covers session " + c.token.format()
                    + " but has no " + w.getKey()));
            if (!state.includes(w.getValue().origin(), w.getValue().seq())) {
                throw new AssertionError(at.name + " covers session " + c.token.format() + " but " + w.getKey()
                        + " is " + state + ", before the session's write " + w.getValue());
            }
            sessionChecks++;
        }
    }

    /** True when {@code at} collected a tombstone that follows the write {@code w}. */
    private static boolean wasCollected(Node at, Stamp w) {
        return at.disk.collected.stream().anyMatch(t -> t.context().get(w.origin()) >= w.seq());
    }

    /**
     * Freshness law: when a region says it holds every write of origin O made before instant F
     * (on O's clock), the first of O's writes it has not applied was made at F or later.
     */
    private void checkFreshness(Node at) {
        for (String origin : names) {
            if (origin.equals(at.name)) {
                continue;
            }
            Optional<Long> fresh = at.machine.freshUntil(origin);
            Entry missing = acknowledged.get(origin + ":" + (at.disk.watermark(origin) + 1));
            if (fresh.isPresent() && missing != null && missing.hlc().physicalMillis() < fresh.get()) {
                throw new AssertionError(at.name + " says it holds every write of " + origin + " before " + fresh.get()
                        + " but lacks " + missing);
            }
            freshnessChecks++;
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

    /** One tick of a node's shell: the machine's housekeeping and plan, then (re)subscribe and ship batches. */
    private void tick(Node n) {
        at(now + TICK_MILLIS, () -> tick(n));
        if (!n.up) {
            return;
        }
        ReplicationMachine.Tick t = n.machine.tick(n.wall(), n.lastHeard);
        tombstonesCollected += t.tombstonesCollected();
        Map<String, Set<String>> plan = t.plan();
        // Subscriptions can be lost on this network: resend them now and then, as a stream reconnecting would.
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
            long sentAt = n.wall();
            VersionVector senderWatermarks = n.disk.watermarks();
            send(n.name, target, () -> onBatch(nodes.get(target), n.name, batch, sentAt, senderWatermarks));
        }
    }

    private void onSubscribe(Node n, String subscriber, Map<String, Long> from) {
        n.outbound.computeIfAbsent(subscriber, s -> new Outbound(s, WINDOW_ENTRIES, RETRANSMIT_MILLIS)).subscribe(from, now);
    }

    private void onBatch(Node n, String from, List<Entry> batch, long sentAt, VersionVector senderWatermarks) {
        n.lastHeard.put(from, n.wall());
        ReplicationMachine.BatchResult result = n.machine.onBatch(from, batch, sentAt, senderWatermarks, n.wall());
        for (Replica.Applied applied : result.applied()) {
            if (applied instanceof Replica.Applied.Accepted a) {
                a.replaced().forEach(old -> accounted.add(id(old)));
                a.conflict().ifPresent(c -> {
                    accounted.add(id(c.loser()));
                    conflictsSeen++;
                });
            }
        }
        VersionVector watermarks = result.watermarks();
        send(n.name, from, () -> {
            Node sender = nodes.get(from);
            sender.lastHeard.put(n.name, sender.wall());
            sender.machine.onAck(n.name, watermarks);
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

    /** A key's state, leaving out lone tombstones: a region may have collected one that another still holds. */
    private static Map<String, KeyState> live(MemStore disk) {
        Map<String, KeyState> live = new TreeMap<>(disk.current);
        live.values().removeIf(state -> state.siblings().size() == 1 && state.winner().isTombstone());
        return live;
    }

    /** The invariants once healed and converged. */
    void check() {
        Node reference = nodes.values().iterator().next();
        Map<String, KeyState> expected = live(reference.disk);
        for (Node n : nodes.values()) {
            if (!live(n.disk).equals(expected)) {
                throw new AssertionError("replicas differ: " + reference.name + " " + expected.values()
                        + " vs " + n.name + " " + live(n.disk).values());
            }
        }
        // A write is accounted for when it is current somewhere, was followed by a later write, lost a
        // conflict, or is a delete (or followed by one) whose tombstone a region collected.
        Set<String> winners = new HashSet<>();
        List<Entry> collected = new ArrayList<>();
        for (Node n : nodes.values()) {
            n.disk.current.values().forEach(state -> state.siblings().forEach(e -> winners.add(id(e))));
            collected.addAll(n.disk.collected);
        }
        for (Node n : nodes.values()) {
            for (Map.Entry<String, Long> sum : counterSums.entrySet()) {
                Optional<KeyState> state = n.disk.state(COUNTERS, sum.getKey());
                java.math.BigInteger value = state.map(s -> ((io.meridian.core.crdt.DotStore.Counter)
                        io.meridian.core.crdt.CrdtCodec.decode(s.winner().value()).store()).value()).orElse(java.math.BigInteger.ZERO);
                if (!value.equals(java.math.BigInteger.valueOf(sum.getValue()))) {
                    throw new AssertionError(n.name + " counts " + value + " for " + COUNTERS + "/" + sum.getKey()
                            + ", but the acknowledged increments sum to " + sum.getValue());
                }
            }
        }
        for (Entry e : acknowledged.values()) {
            String id = id(e);
            boolean deleted = collected.stream().anyMatch(t -> t.keyspace().equals(e.keyspace()) && t.key().equals(e.key())
                    && t.context().get(e.origin()) >= e.seq());
            if (!winners.contains(id) && !accounted.contains(id) && !deleted) {
                throw new AssertionError("acknowledged write " + e + " vanished: not current, not followed by a later"
                        + " write, not on any conflict feed");
            }
        }
        for (Node n : nodes.values()) {
            readAll(n);
            for (Map.Entry<String, TreeMap<Long, String>> stream : appendedEvents.entrySet()) {
                TreeMap<Long, io.meridian.core.events.StoredEvent> held = n.disk.events.getOrDefault(EVENTS + "\0" + stream.getKey(),
                        new TreeMap<>());
                Map<Long, String> ids = new TreeMap<>();
                held.forEach((v, e) -> ids.put(v, e.event().id()));
                if (!ids.equals(stream.getValue())) {
                    throw new AssertionError(n.name + " holds stream " + stream.getKey() + " as " + ids
                            + " where the acknowledged events are " + stream.getValue());
                }
                if (!held.isEmpty() && held.lastKey() != held.size()) {
                    throw new AssertionError(n.name + " holds stream " + stream.getKey() + " with a gap: " + held.keySet());
                }
            }
            if (n.disk.all.getOrDefault(EVENTS, new TreeMap<>()).size()
                    != n.disk.events.values().stream().mapToInt(Map::size).sum()) {
                throw new AssertionError(n.name + "'s $all and its streams hold different events");
            }
        }
        for (Node n : nodes.values()) {
            for (Conflict c : n.disk.conflicts) {
                if (c.keyspace().equals(PRIMARY) || c.keyspace().equals(EVENTS)
                        || (c.keyspace().equals(HOME) && !c.key().startsWith("race-"))) {
                    throw new AssertionError("a single-writer key had a conflict: " + c);
                }
            }
        }
        for (Entry e : acknowledged.values()) {
            boolean singleWriter = e.keyspace().equals(PRIMARY) || e.keyspace().equals(EVENTS)
                    || (e.keyspace().equals(HOME) && !e.key().startsWith("race-"));
            if (singleWriter) {
                Optional<KeyState> current = reference.disk.state(e.keyspace(), e.key());
                boolean deleted = current.isEmpty() && collected.stream().anyMatch(t -> t.keyspace().equals(e.keyspace())
                        && t.key().equals(e.key()) && t.context().get(e.origin()) >= e.seq());
                boolean holds = current.isPresent() && current.get().siblings().size() == 1
                        && current.get().includes(e.origin(), e.seq());
                if (!holds && !deleted) {
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
