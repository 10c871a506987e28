package io.meridian.node.replication;

import io.meridian.core.MeridianException;
import io.meridian.core.Preconditions;
import io.meridian.core.ProblemType;
import io.meridian.core.api.ExposureView;
import io.meridian.core.config.RpoBudget;
import io.meridian.core.canary.Canary;
import io.meridian.core.replication.Exposure;
import io.meridian.core.api.ReplicationView;
import io.meridian.core.config.HostPort;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.Codec;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.ReplicationMachine;
import io.meridian.core.replication.SessionToken;
import io.meridian.core.replication.VersionVector;
import io.meridian.core.time.Clock;
import io.meridian.core.time.Scheduler;
import io.meridian.node.NodeStartException;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.replication.PeerStreams;
import io.meridian.replication.ReplicationHost;
import io.meridian.replication.ReplicationServer;
import io.meridian.replication.Settings;
import io.meridian.replication.Signal;
import io.meridian.storage.ReplicatedStore;
import io.meridian.storage.Store;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous replication in a node: the shell around the pure {@link ReplicationMachine}. It
 * owns the network ({@link ReplicationServer} that peers subscribe to, {@link PeerStreams}
 * subscribing to every peer), the lock, the waits, the metrics and the logs; the machine
 * decides (what a batch does, freshness, the subscription plan, tombstones, bootstrap).
 *
 * <p><b>Concurrency.</b> Every input to the machine runs under one lock (the machine is
 * single-threaded by contract). Writes are committed under it and synced after it, one fsync
 * for every commit written by then ({@link ReplicatedStore#awaitDurable}); none is acknowledged,
 * shipped or applied elsewhere before its sync. The API's writes go through the replicated writer
 * ({@link #writeAsync}), which makes every write queued by then under one hold of the lock;
 * applied batches are synced once per batch before they are acknowledged. Reads do not lock.
 * Threads waiting for a session token wait on {@link #progress}, notified after every batch.
 * Time comes from the injected {@link Clock}; periodic work runs on the injected {@link Scheduler}.
 */
public final class ReplicationEngine implements ReplicationHost, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicationEngine.class);
    /** How often the plan of subscriptions, log trimming and tombstones are revisited. */
    private static final Duration HOUSEKEEPING = Duration.ofMillis(250);
    /** A peer silent for this many heartbeats counts as unreachable for the subscription plan. */
    private static final int HEARD_HEARTBEATS = 20;
    /** How long a new (or emptied) region looks for a peer to bootstrap from before starting empty. */
    static final Duration BOOTSTRAP_WAIT = Duration.ofSeconds(20);
    /** How long one snapshot transfer may take. */
    static final Duration SNAPSHOT_TIMEOUT = Duration.ofMinutes(10);
    /** States per snapshot chunk. */
    private static final int SNAPSHOT_CHUNK_STATES = 1_000;
    /** Bounds the work of one collection pass; the next pass continues. */
    private static final int TOMBSTONES_PER_PASS = 1_000;

    private final String region;
    private final MeridianConfig config;
    private final ReplicatedStore store;
    private final ReplicationMachine machine;
    private final io.meridian.core.replication.Residency residency;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Object lock = new Object();
    private final Object progress = new Object();
    private volatile boolean closed;
    private final Signal signal = new Signal();
    /** Per origin: milliseconds from a write's HLC to its apply here (exact in the lab, where regions share a clock). */
    private final Map<String, org.HdrHistogram.Recorder> applyDelay = new ConcurrentHashMap<>();
    private final Map<String, org.HdrHistogram.Histogram> applyDelaySinceReset = new ConcurrentHashMap<>();
    private volatile long statsSinceMillis;
    private ReplicationServer server;
    private PeerStreams streams;
    private final FailoverAgent failover;
    private final java.util.concurrent.atomic.AtomicBoolean installing = new java.util.concurrent.atomic.AtomicBoolean();
    /** Why the last snapshot fetch failed, for the callers that give up and say so. */
    private volatile String lastSnapshotFailure = "";
    /**
     * How long a write over its keyspace's RPO budget waits for another region's copy before it
     * is answered 503 (stored here, not acknowledged).
     */
    public static final Duration BUDGET_WAIT = Duration.ofSeconds(2);
    /** Told of every canary beat applied here, with the wall time of its apply. */
    private volatile java.util.function.ObjLongConsumer<Entry> beats = (e, now) -> { };
    /** The metadata entry remembering how far other regions hold this region's writes. */
    private static final String HELD_THROUGH = "exposure-held-through";
    private final Store rawStore;
    private long heldPersisted;
    private long answersForgotten;
    private long housekeepingRounds;
    private final Map<String, RpoBudget> budgets = new LinkedHashMap<>();
    /** The keyspaces whose writes a failover can revert as lost (one writer per key): their answers are remembered. */
    private final java.util.Set<String> revertible;
    /** Notified whenever another region acknowledges more of this region's writes. */
    private final Object held = new Object();
    private final java.util.concurrent.atomic.AtomicLong budgetWaits = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong budgetRefusals = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong budgetTimeouts = new java.util.concurrent.atomic.AtomicLong();

    /** @param failover the region's failover agent, or null when regions do not fail over */
    public ReplicationEngine(String region, MeridianConfig config, Store store, FailoverAgent failover, Clock clock,
                      Scheduler scheduler) {
        this.region = region;
        this.config = config;
        this.store = new ReplicatedStore(store, keyspace -> config.keyspace(keyspace)
                .map(k -> io.meridian.core.KeyspaceRules.of(k.policy()).eventLog()).orElse(false), true);
        this.failover = failover;
        this.clock = clock;
        this.scheduler = scheduler;
        this.statsSinceMillis = clock.wallMillis();
        Map<String, io.meridian.core.replication.ConflictResolver> resolvers = Resolvers.load(config);
        java.util.Set<String> merging = new java.util.HashSet<>();
        config.keyspaces().stream().filter(k -> io.meridian.core.KeyspaceRules.of(k.policy()).crdt().isPresent())
                .forEach(k -> merging.add(k.name()));
        Replica replica = new Replica(region, this.store,
                keyspace -> resolvers.getOrDefault(keyspace, io.meridian.core.replication.ConflictResolver.LWW),
                failover == null ? io.meridian.core.replication.OriginFence.NONE : failover.originFence(),
                keyspace -> merging.contains(keyspace) ? io.meridian.core.crdt.CrdtCodec::join : null);
        this.residency = io.meridian.core.replication.Residency.of(config);
        replica.residency(residency);
        long heard = config.replication().heartbeat().toMillis() * HEARD_HEARTBEATS;
        this.rawStore = store;
        this.heldPersisted = store.metaLong(HELD_THROUGH, 0);
        this.machine = new ReplicationMachine(replica, config.dataRegionNames(), new ReplicationMachine.Settings(heard,
                config.replication().retainedEntries(), TOMBSTONES_PER_PASS, BOOTSTRAP_WAIT.toMillis(), 200,
                config.replication().idempotencyTtl().toMillis()), heldPersisted);
        config.keyspaces().forEach(k -> k.rpoBudget().ifPresent(b -> budgets.put(k.name(), b)));
        this.revertible = config.singleOwnerKeyspaces();
    }

    /** TLS between regions for the streams, both ways (set before {@link #start}; plaintext when never set). */
    public void tls(io.meridian.replication.PeerTls tls) {
        this.tls = tls;
    }

    private io.meridian.replication.PeerTls tls;

    /** Where the streams this region opens count their bytes and entries (set before {@link #start}). */
    public void meter(io.meridian.core.cost.WanMeter meter) {
        this.meter = meter;
    }

    private io.meridian.core.cost.WanMeter meter;

    /** Where the applies of writes that arrive traced are recorded (set before {@link #start}). */
    public void tracing(io.meridian.node.tracing.Tracing tracing) {
        this.tracing = tracing;
    }

    private io.meridian.node.tracing.Tracing tracing = io.meridian.node.tracing.Tracing.OFF;
    /**
     * The trace context of recent writes made here in a traced request, or received with one, by
     * origin and sequence: the streams send it ahead of their batches. Bounded: a write whose batch
     * goes out after this many later traced writes travels without it.
     */
    private final Map<String, Codec.Trace> traced = new java.util.LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Codec.Trace> eldest) {
            return size() > TRACED_KEPT;
        }
    };
    static final int TRACED_KEPT = 10_000;

    private void traced(Replica.Written written) {
        if (written == null || written.replayed() || !tracing.enabled()) {
            return;
        }
        Entry e = written.entry();
        tracing.ofWrite(e.origin(), e.seq()).ifPresent(t -> {
            synchronized (traced) {
                traced.put(t.origin() + ":" + t.seq(), t);
            }
        });
    }

    @Override
    public List<Codec.Trace> traces(List<Entry> entries) {
        synchronized (traced) {
            if (traced.isEmpty()) {
                return List.of();
            }
            List<Codec.Trace> out = new java.util.ArrayList<>();
            for (Entry e : entries) {
                Codec.Trace t = e.isWithheld() ? null : traced.get(e.origin() + ":" + e.seq()); // residency: nothing of it leaves
                if (t != null) {
                    out.add(t);
                }
            }
            return out;
        }
    }

    @Override
    public Applied apply(Codec.Message.Batch batch, List<Codec.Trace> traces) {
        long arrived = wallMillis();
        Applied applied = apply(batch);
        long done = wallMillis();
        Map<String, Entry> bySeq = new java.util.HashMap<>();
        batch.entries().forEach(e -> bySeq.put(e.origin() + ":" + e.seq(), e));
        for (Codec.Trace t : traces) {
            Entry e = bySeq.get(t.origin() + ":" + t.seq());
            if (e == null || e.isWithheld()) {
                continue;
            }
            synchronized (traced) {
                traced.put(t.origin() + ":" + t.seq(), t); // relayed on to regions that subscribe to this origin through here
            }
            tracing.applied(t, e.keyspace(), arrived, done, Math.max(0, done - e.hlc().physicalMillis()));
        }
        return applied;
    }

    public void start() {
        Settings settings = Settings.DEFAULT.withHeartbeat(config.replication().heartbeat())
                .withCompression(config.replication().compression()).withLinger(config.replication().linger());
        List<String> peers = peers();
        if (peers.isEmpty()) {
            return;
        }
        HostPort bind = config.region(region).orElseThrow().replication().orElseThrow();
        try {
            server = ReplicationServer.start(bind.host(), bind.port(), this, signal, settings, tls);
        } catch (IOException e) {
            throw new NodeStartException(e.getMessage(), e);
        }
        Map<String, HostPort> addresses = new LinkedHashMap<>();
        peers.forEach(p -> addresses.put(p, config.replicationAddressFor(region, p).orElseThrow()));
        streams = new PeerStreams(this, addresses, settings, meter, tls);
        bootstrap();
        streams.start();
        scheduler.every(HOUSEKEEPING, this::housekeeping);
        log.info("replication of {} on {}, subscribing to {}", region, bind, addresses);
    }

    public List<String> peers() {
        return machine.peers();
    }

    /** {@code listener} is told of each canary beat from another region as it is applied here (and durable). */
    public void onBeat(java.util.function.ObjLongConsumer<Entry> listener) {
        this.beats = listener;
    }

    // ---- writes and reads ----

    /**
     * Writes locally after checking {@code conditions} against the key's current version, under
     * the replica's lock, and syncs before returning.
     */
    public Replica.Written write(Replica.Write w, Preconditions conditions) {
        return write(w, conditions, () -> { });
    }

    /**
     * As {@link #write(Replica.Write, Preconditions)}, after {@code guard} (which may throw) under
     * the same lock: the failover check that this region may write the key runs there, so a
     * write either finished before a failback stopped this region or sees it stopped.
     */
    public Replica.Written write(Replica.Write w, Preconditions conditions, Runnable guard) {
        Decided d = decide(w, conditions, guard);
        store.awaitDurable(d.ticket()); // a replay too: the write it names may be one made here moments ago, not yet synced
        return acknowledge(d);
    }

    /**
     * As {@link #write(Replica.Write, Preconditions, Runnable)}, without holding the caller's
     * thread: the write is queued for the region's replicated writer, which takes the lock once
     * for every write queued by then and makes them in order (guard, replay, conditions, write:
     * each as {@code write} does, under the lock), and the future completes once its write is
     * durable, on the store's answering thread: what is chained to it must not block. A failure
     * of the guard or the conditions fails the future (nothing written). Writes to a keyspace with
     * an RPO budget, which may have to wait for another region's copy, are made on the caller's
     * thread as by {@code write} (the future is complete when this returns).
     *
     * <p>With 64 HTTP threads each taking the lock for its own write, the lock changed hands once
     * per write, each handoff a thread woken on a busy machine, and the lock stood idle a third of
     * the time (docs/benchmarks.md, issue 12, seventeenth session).
     */
    public java.util.concurrent.CompletableFuture<Replica.Written> writeAsync(Replica.Write w, Preconditions conditions,
                                                                            Runnable guard) {
        if (budgets.containsKey(w.keyspace())) {
            return java.util.concurrent.CompletableFuture.completedFuture(write(w, conditions, guard));
        }
        return queue(() -> decideLocked(w, conditions, guard));
    }

    /**
     * As {@link #writeMerged(String, String, String, java.util.function.BiFunction, io.meridian.core.Idempotency)},
     * made by the replicated writer as {@link #writeAsync} makes a write: {@code delta} runs on the
     * writer's thread under the lock (what it throws fails the future, nothing written).
     */
    public java.util.concurrent.CompletableFuture<Replica.Written> writeMergedAsync(String keyspace, String key, String contentType,
            java.util.function.BiFunction<Optional<byte[]>, io.meridian.core.replication.Hlc, byte[]> delta,
            io.meridian.core.Idempotency idempotency) {
        if (budgets.containsKey(keyspace)) {
            return java.util.concurrent.CompletableFuture.completedFuture(writeMerged(keyspace, key, contentType, delta, idempotency));
        }
        return queue(() -> {
            Optional<Replica.Written> replay = machine.replay(keyspace, idempotency, wallMillis());
            if (replay.isPresent()) {
                return new Decided(replay.get(), Optional.empty(), store.written());
            }
            Optional<String> overBudget = budgetGate(keyspace);
            Replica.Written written = machine.writeMerged(keyspace, key, contentType, delta, wallMillis(), idempotency);
            return new Decided(written, overBudget, store.written());
        });
    }

    private java.util.concurrent.CompletableFuture<Replica.Written> queue(java.util.function.Supplier<Decided> underLock) {
        Queued q = new Queued(underLock, tracing.enabled() ? io.opentelemetry.context.Context.current() : null,
                new java.util.concurrent.CompletableFuture<>());
        writer().submit(q);
        return q.result();
    }

    /**
     * A write waiting for the replicated writer: what it does under the lock (it may throw), and
     * the trace context of the request that made it (or null).
     */
    private record Queued(java.util.function.Supplier<Decided> underLock, io.opentelemetry.context.Context trace,
                          java.util.concurrent.CompletableFuture<Replica.Written> result) {
    }

    private volatile GroupWriter groupWriter;

    /** The replicated writer, started by the first write that needs it. */
    private GroupWriter writer() {
        GroupWriter w = groupWriter;
        if (w != null) {
            return w;
        }
        synchronized (this) {
            if (groupWriter == null) {
                if (closed) {
                    throw new MeridianException(ProblemType.UNAVAILABLE, region + " is stopping");
                }
                groupWriter = new GroupWriter(region + "-replicated-writer");
            }
            return groupWriter;
        }
    }

    /** The replicated writer: one thread making queued writes in groups, one lock hold and one durability wait per group. */
    private final class GroupWriter {
        static final int MAX_GROUP = 1_024;
        private final java.util.concurrent.LinkedBlockingQueue<Queued> queue = new java.util.concurrent.LinkedBlockingQueue<>();
        private final Thread thread;
        private volatile boolean stopped;

        GroupWriter(String name) {
            thread = Thread.ofPlatform().daemon().name(name).start(this::run);
        }

        void submit(Queued q) {
            queue.add(q);
            if (stopped) { // stopped while adding: the writer may have drained already
                failQueued();
            }
        }

        private void run() {
            List<Queued> group = new java.util.ArrayList<>();
            while (!stopped) {
                try {
                    group.add(queue.take());
                } catch (InterruptedException e) {
                    break;
                }
                queue.drainTo(group, MAX_GROUP - 1);
                try {
                    write(group);
                } catch (Throwable t) { // a bug or an Error: answer the group, and keep the writer for the next one
                    log.error("the replicated writer failed a group of {} writes", group.size(), t);
                    group.forEach(q -> q.result().completeExceptionally(t));
                }
                group = new java.util.ArrayList<>();
            }
            failQueued();
        }

        private void write(List<Queued> group) {
            Object[] outcomes = new Object[group.size()];
            long ticket;
            synchronized (lock) {
                for (int i = 0; i < group.size(); i++) {
                    Queued q = group.get(i);
                    try {
                        outcomes[i] = q.underLock().get();
                    } catch (RuntimeException e) {
                        outcomes[i] = e;
                    }
                }
                ticket = store.written();
            }
            List<Queued> made = new java.util.ArrayList<>(group.size());
            List<Decided> decided = new java.util.ArrayList<>(group.size());
            for (int i = 0; i < group.size(); i++) {
                Queued q = group.get(i);
                if (outcomes[i] instanceof RuntimeException e) {
                    q.result().completeExceptionally(e);
                    continue;
                }
                Decided d = (Decided) outcomes[i];
                if (q.trace() != null && d.written() != null) {
                    try (io.opentelemetry.context.Scope ignored = q.trace().makeCurrent()) {
                        traced(d.written());
                    }
                }
                made.add(q);
                decided.add(d);
            }
            if (made.isEmpty()) {
                return;
            }
            store.whenDurable(ticket).whenComplete((durable, failure) -> {
                if (failure == null) {
                    wake();
                }
                for (int i = 0; i < made.size(); i++) {
                    if (failure == null) {
                        made.get(i).result().complete(decided.get(i).written());
                    } else {
                        made.get(i).result().completeExceptionally(failure);
                    }
                }
            });
        }

        private void failQueued() {
            Queued q;
            while ((q = queue.poll()) != null) {
                q.result().completeExceptionally(new MeridianException(ProblemType.UNAVAILABLE, region + " is stopping"));
            }
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            failQueued();
        }
    }

    /**
     * A write decided and made under the lock, not yet durable: the ticket its acknowledgement
     * waits for. {@code written} is null when the decision was to write nothing ({@link #writeDecidedAsync}).
     */
    private record Decided(Replica.Written written, Optional<String> overBudget, long ticket) {
    }

    private Decided decide(Replica.Write w, Preconditions conditions, Runnable guard) {
        Decided d;
        synchronized (lock) {
            d = decideLocked(w, conditions, guard);
        }
        traced(d.written());
        return d;
    }

    /** Under the lock: the guard, the replay of a retry, the conditions, the budget gate and the write. */
    private Decided decideLocked(Replica.Write w, Preconditions conditions, Runnable guard) {
        guard.run();
        // A retry is answered as its first attempt was, before the conditions: that attempt may have changed the key.
        Optional<Replica.Written> replay = machine.replay(w.keyspace(), w.idempotency(), wallMillis());
        if (replay.isPresent()) {
            return new Decided(replay.get(), Optional.empty(), store.written());
        }
        Optional<Entry> current = store.current(w.keyspace(), w.key());
        conditions.checkOrThrow(w.key(), current.filter(e -> !e.isTombstone()).map(ReplicationEngine::tag).orElse(null));
        Optional<String> overBudget = budgetGate(w.keyspace());
        Replica.Written written = machine.write(w, wallMillis());
        return new Decided(written, overBudget, store.written());
    }

    /**
     * Once writes made here are durable: the streams ship them, and readers waiting in
     * {@link #awaitChange} (change feeds, event subscriptions, projections) read them. Without
     * the second, a subscriber in a region with no peers saw a local write only at its wait's end.
     */
    private void wake() {
        signal.fire();
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    /** After the write is durable: wakes the streams, and waits for another region's copy when over budget. */
    private Replica.Written acknowledge(Decided d) {
        if (d.written().replayed()) {
            return d.written();
        }
        wake();
        awaitHeldIfOverBudget(d.written(), d.overBudget());
        return d.written();
    }

    /** The earlier write {@code idempotency} named here, if any (see {@link ReplicationMachine#replay}). */
    public Optional<Replica.Written> replay(String keyspace, io.meridian.core.Idempotency idempotency) {
        if (idempotency.isNone()) {
            return Optional.empty();
        }
        Optional<Replica.Written> replay;
        long ticket;
        synchronized (lock) {
            replay = machine.replay(keyspace, idempotency, wallMillis());
            ticket = store.written();
        }
        if (replay.isPresent()) {
            store.awaitDurable(ticket);
        }
        return replay;
    }

    /**
     * A write to a keyspace whose values merge (CRDTs): {@code delta} computes, under the lock,
     * the change from the key's current value and the write's HLC (it may throw: nothing is
     * written). Synced before it returns.
     */
    public Replica.Written writeMerged(String keyspace, String key, String contentType,
                                       java.util.function.BiFunction<Optional<byte[]>, io.meridian.core.replication.Hlc, byte[]> delta) {
        return writeMerged(keyspace, key, contentType, delta, io.meridian.core.Idempotency.NONE);
    }

    /**
     * As {@link #writeMerged(String, String, String, java.util.function.BiFunction)}, with the
     * client's idempotency key: a retry of a write already applied here is answered with
     * {@link Replica.Written#replayed} (the key's current value) and writes nothing.
     */
    public Replica.Written writeMerged(String keyspace, String key, String contentType,
                                       java.util.function.BiFunction<Optional<byte[]>, io.meridian.core.replication.Hlc, byte[]> delta,
                                       io.meridian.core.Idempotency idempotency) {
        Replica.Written written;
        Optional<String> overBudget;
        long ticket;
        synchronized (lock) {
            Optional<Replica.Written> replay = machine.replay(keyspace, idempotency, wallMillis());
            if (replay.isPresent()) {
                ticket = store.written();
                written = replay.get();
                overBudget = Optional.empty();
            } else {
                overBudget = budgetGate(keyspace);
                written = machine.writeMerged(keyspace, key, contentType, delta, wallMillis(), idempotency);
                traced(written);
                ticket = store.written();
            }
        }
        store.awaitDurable(ticket);
        if (written.replayed()) {
            return written;
        }
        wake();
        awaitHeldIfOverBudget(written, overBudget);
        return written;
    }

    /**
     * A write decided under the lock from the key's current state (event appends): {@code decide}
     * returns the write to make, or empty for none, and may throw (nothing is written). Runs
     * {@code guard} first, as {@link #write(Replica.Write, Preconditions, Runnable)} does. Synced
     * before it returns; waiting readers ({@link #awaitChange}) are woken.
     */
    public Optional<Replica.Written> writeDecided(String keyspace, String key,
                                                  java.util.function.Function<Optional<Entry>, Optional<Replica.Write>> decide,
                                                  Runnable guard) {
        Optional<Replica.Written> written;
        Optional<String> overBudget;
        long ticket;
        synchronized (lock) {
            guard.run();
            Optional<Replica.Write> w = decide.apply(store.current(keyspace, key));
            overBudget = w.isPresent() ? budgetGate(keyspace) : Optional.empty();
            written = w.map(x -> machine.write(x, wallMillis()));
            written.ifPresent(this::traced);
            ticket = store.written();
        }
        if (written.isPresent()) {
            store.awaitDurable(ticket);
            wake();
            awaitHeldIfOverBudget(written.get(), overBudget);
        }
        return written;
    }

    /**
     * As {@link #writeDecided}, made by the replicated writer as {@link #writeAsync} makes a
     * write: {@code guard} and {@code decide} run on the writer's thread under the lock (what they
     * throw fails the future, nothing written), and the future completes once the group is
     * durable, with the write made or empty for none. An empty decision waits for the group's
     * sync too: what the caller answers from the store then (an append retried moments after it
     * was made) is durable. Keyspaces with an RPO budget are written as by {@code writeDecided}.
     */
    public java.util.concurrent.CompletableFuture<Optional<Replica.Written>> writeDecidedAsync(String keyspace, String key,
            java.util.function.Function<Optional<Entry>, Optional<Replica.Write>> decide, Runnable guard) {
        if (budgets.containsKey(keyspace)) {
            return java.util.concurrent.CompletableFuture.completedFuture(writeDecided(keyspace, key, decide, guard));
        }
        return queue(() -> {
            guard.run();
            Optional<Replica.Write> w = decide.apply(store.current(keyspace, key));
            return new Decided(w.map(x -> machine.write(x, wallMillis())).orElse(null), Optional.empty(), store.written());
        }).thenApply(Optional::ofNullable);
    }

    // ---- the RPO budget ----

    /**
     * Under the lock, before a write of {@code keyspace}: empty when it may be acknowledged at
     * once; else why it must first be held by another region. Refuses it (nothing written) when
     * the keyspace says {@code on-budget-exceeded: refuse} and its budget is not 0.
     */
    private Optional<String> budgetGate(String keyspace) {
        RpoBudget budget = budgets.get(keyspace);
        if (budget == null) {
            return Optional.empty();
        }
        Optional<String> over = machine.exposure().overBudget(keyspace, budget, wallMillis());
        if (over.isPresent() && !budget.synchronous() && budget.onExceeded() == RpoBudget.OnExceeded.REFUSE) {
            budgetRefusals.incrementAndGet();
            throw new MeridianException(ProblemType.RPO_BUDGET_EXCEEDED, "'" + keyspace
                    + "' refuses writes in " + region + " for now: " + over.get() + heldByPeers()
                    + ". Nothing was written; retry later or in another region.",
                    Map.of("keyspace", keyspace, "rpo_budget_ms", budget.budgetMillis(), "written", false));
        }
        return over;
    }

    /**
     * After a write that may not be acknowledged before another region holds it: waits for that,
     * at most {@link #BUDGET_WAIT}, then answers 503 (the write stays here and may still replicate).
     */
    private void awaitHeldIfOverBudget(Replica.Written written, Optional<String> overBudget) {
        if (overBudget.isEmpty()) {
            return;
        }
        Entry e = written.entry();
        budgetWaits.incrementAndGet();
        long deadline = clock.monotonicNanos() + BUDGET_WAIT.toNanos();
        try {
            synchronized (held) {
                while (!machine.exposure().held(e.keyspace(), e.seq()) && !closed) {
                    long left = deadline - clock.monotonicNanos();
                    if (left <= 0) {
                        break;
                    }
                    held.wait(Math.max(1, left / 1_000_000));
                }
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (!machine.exposure().held(e.keyspace(), e.seq())) {
            budgetTimeouts.incrementAndGet();
            throw new MeridianException(ProblemType.RPO_BUDGET_EXCEEDED, "write "
                    + tag(e) + " to '" + e.keyspace() + "' is stored in " + region + " but is not acknowledged: "
                    + overBudget.get() + ", and no other region acknowledged it within " + BUDGET_WAIT.toMillis() + " ms"
                    + heldByPeers() + ". It may still replicate when a peer is reachable; read the key before retrying.",
                    Map.of("keyspace", e.keyspace(), "version", tag(e), "written", true));
        }
    }

    /** For budget problems: how far each peer last said it holds this region's writes. */
    private String heldByPeers() {
        long mine = store.watermark(region);
        StringBuilder b = new StringBuilder(" (");
        for (String peer : peers()) {
            if (b.length() > 2) {
                b.append(", ");
            }
            b.append(peer).append(" holds ").append(machine.acked(peer).get(region)).append(" of ").append(mine);
        }
        return b.append(')').toString();
    }

    /**
     * The client of this region's write {@code e} has its answer: remembered while no other
     * region holds the write, so that a failover that loses it can say it was acknowledged. Only
     * in keyspaces with one writer per key: a failover reverts no other write, so nothing would
     * ever read the mark, and each is a RocksDB write of its own beside the commits (docs/benchmarks.md,
     * issue 12, sixteenth session).
     */
    public void answered(Entry e) {
        if (e.origin().equals(region) && revertible.contains(e.keyspace()) && !machine.exposure().held(e.keyspace(), e.seq())) {
            store.markAnswered(e.seq());
        }
    }

    /** {@code GET /v1/exposure}: what losing this region now would lose, per keyspace. */
    public ExposureView exposure() {
        long now = wallMillis();
        Exposure x = machine.exposure();
        java.util.List<ExposureView.Keyspace> keyspaces = new java.util.ArrayList<>();
        long writes = 0;
        long bytes = 0;
        long oldest = 0;
        for (String name : replicatedKeyspaces().stream().filter(k -> !Canary.isCanary(k)).sorted().toList()) {
            Exposure.Summary s = x.of(name);
            RpoBudget b = budgets.get(name);
            keyspaces.add(new ExposureView.Keyspace(name, s.writes(), s.bytes(), s.oldestAgeMillis(now),
                    b == null ? null : b.budgetMillis(), b == null ? null : b.onExceeded().configName(),
                    b == null ? null : x.overBudget(name, b, now).filter(w -> !b.synchronous()).isPresent()));
            writes += s.writes();
            bytes += s.bytes();
            oldest = Math.max(oldest, s.oldestAgeMillis(now));
        }
        Map<String, Long> heldBy = new java.util.TreeMap<>();
        peers().forEach(p -> heldBy.put(p, machine.acked(p).get(region)));
        return new ExposureView(region, store.watermark(region), x.heldThrough(), heldBy, writes, bytes, oldest,
                keyspaces, budgetWaits.get(), budgetRefusals.get(), budgetTimeouts.get());
    }

    /**
     * Waits until this region's watermarks differ from {@code seen} (a write made or applied
     * here, or a snapshot installed), at most {@code max}. @return the watermarks now
     */
    public VersionVector awaitChange(VersionVector seen, Duration max) throws InterruptedException {
        long deadline = clock.monotonicNanos() + max.toNanos();
        synchronized (progress) {
            while (!closed && store.watermarks().equals(seen)) {
                long left = deadline - clock.monotonicNanos();
                if (left <= 0) {
                    break;
                }
                progress.wait(Math.max(1, left / 1_000_000));
            }
        }
        return store.watermarks();
    }

    /** True once the region began to stop: long waits (subscriptions) end. */
    public boolean closed() {
        return closed;
    }

    public Optional<Entry> current(String keyspace, String key) {
        return store.current(keyspace, key);
    }

    public ReplicatedStore store() {
        return store;
    }

    public VersionVector watermarks() {
        return store.watermarks();
    }

    /** Waits until this region has applied everything {@code token} covers, at most {@code max}. */
    public boolean awaitCovered(SessionToken token, Duration max) throws InterruptedException {
        long deadline = clock.monotonicNanos() + max.toNanos();
        synchronized (progress) {
            while (!token.satisfiedBy(store.watermarks())) {
                long left = deadline - clock.monotonicNanos();
                if (left <= 0) {
                    return false;
                }
                progress.wait(Math.max(1, left / 1_000_000));
            }
        }
        return true;
    }

    /**
     * How stale this region may be with respect to writes originated in {@code origin}: 0 for
     * this region's own; empty when it has never heard from it.
     */
    public Optional<Long> stalenessMillis(String origin) {
        return machine.stalenessMillis(origin, wallMillis());
    }

    public static String tag(Entry e) {
        return e.origin() + ":" + e.seq();
    }

    // ---- ReplicationHost ----

    @Override
    public String region() {
        return region;
    }

    @Override
    public ReplicatedStore log() {
        return store;
    }

    @Override
    public long wallMillis() {
        return clock.wallMillis();
    }

    @Override
    public Applied apply(Codec.Message.Batch batch) {
        ReplicationMachine.BatchResult result;
        long now;
        long ticket;
        synchronized (lock) {
            if (failover != null && !failover.acceptsFrom(batch.region())) {
                // A fenced or withheld region's own stream: its writes stop here until its failover sets the cutoff (or
                // it is served again). Checked under the lock the frozen watermark is read under.
                return new Applied(store.watermarks(), store.written(), false);
            }
            now = wallMillis();
            result = machine.onBatch(batch.region(), batch.entries(), batch.sentAtMillis(), batch.watermarks(), now);
            ticket = store.written();
        }
        for (int i = 0; i < result.applied().size(); i++) {
            Entry e = batch.entries().get(i);
            switch (result.applied().get(i)) {
                case Replica.Applied.Accepted a -> {
                    if (Canary.isCanary(e.keyspace())) {
                        beats.accept(e, now);
                        continue;
                    }
                    applyDelay.computeIfAbsent(e.origin(), o -> new org.HdrHistogram.Recorder(3))
                            .recordValue(Math.max(0, now - e.hlc().physicalMillis()));
                    a.conflict().ifPresent(c -> log.debug("conflict on {}/{}: {} lost to {}", e.keyspace(), e.key(),
                            c.loser().stamp(), c.winner().stamp()));
                }
                case Replica.Applied.Lost lost -> log.warn("write {} of {}/{} was acknowledged by {} and lost in its failover:"
                        + " recorded on the conflict feed", lost.entry().stamp(), e.keyspace(), e.key(), e.origin());
                default -> { }
            }
        }
        return new Applied(result.watermarks(), ticket, !batch.entries().isEmpty());
    }

    /**
     * Before the acknowledgement: the batch's fsync is shared with local writes' and with the
     * batches the stream applied while the last one ran. Regions this one relays to, and readers
     * waiting for a session token, are woken only once it is durable.
     */
    @Override
    public VersionVector durable(Applied applied) {
        store.awaitDurable(applied.ticket());
        if (applied.entries()) {
            signal.fire();
        }
        synchronized (progress) {
            progress.notifyAll();
        }
        return applied.watermarks();
    }

    @Override
    public void onAck(String subscriber, VersionVector watermarks) {
        long before = machine.exposure().heldThrough();
        machine.onAck(subscriber, watermarks);
        if (machine.exposure().heldThrough() != before) {
            synchronized (held) {
                held.notifyAll();
            }
        }
    }

    private void housekeeping() {
        long now = wallMillis();
        Map<String, Long> heard = new LinkedHashMap<>();
        streams.views().forEach((peer, v) -> {
            if (v.connected() && v.lastBatchMillis() > 0) {
                heard.put(peer, v.lastBatchMillis());
            }
        });
        ReplicationMachine.Tick tick;
        synchronized (lock) {
            tick = machine.tick(now, heard);
        }
        // Commits whose writer did not wait for their sync (none today) would be held back from replication: cover them.
        store.awaitDurable(store.written());
        streams.plan(tick.plan());
        long heldThrough = machine.exposure().heldThrough();
        if (heldThrough > heldPersisted) {
            rawStore.putMetaLong(HELD_THROUGH, heldThrough);
            heldPersisted = heldThrough;
        }
        if (heldThrough > answersForgotten && ++housekeepingRounds % 20 == 0) { // every 5 s: one range deletion
            store.forgetAnsweredThrough(heldThrough);
            answersForgotten = heldThrough;
        }
        if (tick.tombstonesCollected() > 0) {
            log.debug("collected {} tombstones", tick.tombstonesCollected());
        }
    }

    // ---- failover ----

    /** Every origin's watermark, read under the write lock: no write that passed its guard is left out. */
    public VersionVector watermarksLocked() {
        synchronized (lock) {
            return store.watermarks();
        }
    }

    /** How many of {@code peer}'s writes it has announced that this region has not applied. */
    public long entriesBehind(String peer) {
        return machine.entriesBehind(peer);
    }

    /** Writes of other regions recorded here as lost in their failovers. */
    long lostWritesSeen() {
        return machine.lostWritesSeen();
    }

    public Replica.Reverted lostWrites(long after, long through, java.util.function.Predicate<String> singleOwner) {
        synchronized (lock) {
            return machine.lostWrites(after, through, singleOwner);
        }
    }

    /**
     * After this region's failover: undoes its own writes numbered {@code (after, through]} that
     * reached no other region (they go on the conflict feed), then installs a snapshot from a peer
     * so that those keys hold what the other regions hold. False when no peer gave a snapshot.
     */
    public boolean revertLostAndResync(long after, long through, java.util.function.Predicate<String> singleOwner, List<String> from) {
        Replica.Reverted r;
        synchronized (lock) {
            r = machine.revertLost(after, through, singleOwner);
        }
        log.warn("{} rejoins after a failover: {} acknowledged writes (sequences {}..{}) never reached another region;"
                + " undone here and recorded on the conflict feed", region, r.writes(), after + 1, through);
        for (String peer : from) {
            if (installSnapshotFrom(peer)) {
                return true;
            }
        }
        log.warn("{} could not take the survivors' state from any of {} (last: {}); will retry", region, from, lastSnapshotFailure);
        return false;
    }

    /** Performs the machine's bootstrap steps: before this region serves, an empty store takes a peer's snapshot. */
    private void bootstrap() {
        while (true) {
            ReplicationMachine.BootstrapStep step = machine.nextBootstrapStep(clock.monotonicNanos() / 1_000_000, store.isEmpty());
            switch (step) {
                case ReplicationMachine.BootstrapStep.Fetch fetch -> {
                    if (!installSnapshotFrom(fetch.peer())) {
                        machine.snapshotFailed(fetch.peer(), lastSnapshotFailure);
                    }
                }
                case ReplicationMachine.BootstrapStep.Pause pause -> {
                    try {
                        Thread.sleep(pause.millis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                case ReplicationMachine.BootstrapStep.Done done -> {
                    if (done.from().isEmpty() && store.isEmpty()) {
                        log.warn("{}: {}", region, done.why());
                    }
                    return;
                }
            }
        }
    }

    /** Fetches and installs a snapshot from {@code peer}. @return false when the peer could not provide one */
    private boolean installSnapshotFrom(String peer) {
        if (!installing.compareAndSet(false, true)) {
            return false;
        }
        try {
            long start = clock.monotonicNanos();
            VersionVector before = store.watermarks();
            long[] installed = new long[2];
            Codec.Message.SnapshotEnd end = streams.fetchSnapshot(peer, SNAPSHOT_TIMEOUT, states -> {
                synchronized (lock) {
                    installed[0] += states.size();
                    installed[1] += machine.installChunk(states);
                }
            });
            synchronized (lock) {
                machine.finishInstall(peer, end.watermarks(), end.highest());
            }
            log.info("installed a snapshot from {}: {} keys, {} conflicts, watermarks {} -> {} in {} ms", peer, installed[0],
                    installed[1], before, store.watermarks(), (clock.monotonicNanos() - start) / 1_000_000);
            synchronized (progress) {
                progress.notifyAll();
            }
            signal.fire();
            return true;
        } catch (RuntimeException e) {
            log.debug("no snapshot from {}: {}", peer, e.toString());
            lastSnapshotFailure = peer + ": " + e;
            return false;
        } finally {
            installing.set(false);
        }
    }

    @Override
    public void onSnapshotNeeded(String peer) {
        scheduler.execute(() -> {
            if (!installSnapshotFrom(peer)) {
                log.warn("{} says this region is behind its log, and its snapshot could not be fetched; will retry", peer);
            }
        });
    }

    /** What {@code peer} may receive of this region's log: each write whole, or withheld outside its keyspace's residency. */
    @Override
    public Entry forPeer(String peer, Entry e) {
        return residency.forTarget(e, peer);
    }

    /** A snapshot for {@code requester}: of the keyspaces it may hold (their residency), states and events. */
    @Override
    public Codec.Message.SnapshotEnd snapshot(String requester, java.util.function.Consumer<List<Entry>> chunks) {
        ReplicatedStore.Snapshot s = store.snapshot(replicatedKeyspaces().stream().filter(k -> residency.mayHold(k, requester)).toList(),
                SNAPSHOT_CHUNK_STATES, chunks);
        store.awaitDurable(store.written()); // what the snapshot covers is durable before the peer adopts its watermarks
        return new Codec.Message.SnapshotEnd(s.watermarks(), s.highest(), s.entries());
    }

    // ---- views ----

    synchronized Map<String, ReplicationView.Delay> applyDelays() {
        Map<String, ReplicationView.Delay> out = new java.util.TreeMap<>();
        applyDelay.forEach((origin, recorder) -> {
            org.HdrHistogram.Histogram total = applyDelaySinceReset.computeIfAbsent(origin, o -> new org.HdrHistogram.Histogram(3));
            total.add(recorder.getIntervalHistogram());
            out.put(origin, new ReplicationView.Delay(total.getTotalCount(), total.getValueAtPercentile(50), total.getValueAtPercentile(90),
                    total.getValueAtPercentile(99), total.getMaxValue()));
        });
        return out;
    }

    /** Starts the apply-delay distributions afresh (benchmarks call it between runs). */
    public synchronized void resetStats() {
        applyDelays();
        applyDelaySinceReset.clear();
        statsSinceMillis = wallMillis();
    }

    public ReplicationView view() {
        long now = wallMillis();
        VersionVector mine = store.watermarks();
        Map<String, ReplicationServer.StreamView> out = server == null ? Map.of() : server.streams();
        Map<String, Long> sent = server == null ? Map.of() : server.bytesSent();
        Map<String, PeerStreams.View> in = streams == null ? Map.of() : streams.views();
        List<ReplicationView.PeerReplication> peers = peers().stream().map(peer -> {
            PeerStreams.View v = in.get(peer);
            VersionVector acked = acked(peer, out);
            long lagEntries = Math.max(0, mine.get(region) - acked.get(region));
            return new ReplicationView.PeerReplication(peer, v != null && v.connected(),
                    v == null || v.lastBatchMillis() == 0 ? null : now - v.lastBatchMillis(),
                    stalenessMillis(peer).orElse(null), machine.entriesBehind(peer), lagEntries, lagMillis(acked.get(region), now), sent.getOrDefault(peer, 0L),
                    v == null ? 0 : v.bytesReceived(), v == null ? Set.of() : v.origins(),
                    out.containsKey(peer) && out.get(peer).snapshotNeeded());
        }).toList();
        // The same figure as GET /v1/exposure: this region's writes no other region has acknowledged (canary beats not counted).
        long unreplicated = peers().isEmpty() ? 0
                : machine.exposure().all().values().stream().mapToLong(Exposure.Summary::writes).sum();
        return new ReplicationView(mine.seqs(), unreplicated, machine.conflictsDetected(),
                machine.lostWritesSeen(), store.tombstones(), machine.tombstonesCollected(), machine.bootstrappedFrom(), peers, applyDelays(),
                java.time.Instant.ofEpochMilli(statsSinceMillis).toString(), machine.conflictsByKeyspace());
    }

    /** What {@code peer} has acknowledged: from its open stream, else from its last acknowledgement. */
    private VersionVector acked(String peer, Map<String, ReplicationServer.StreamView> out) {
        VersionVector acked = machine.acked(peer);
        return out.containsKey(peer) ? acked.merge(out.get(peer).acked()) : acked;
    }

    /** How old this region's oldest write not yet acknowledged by a peer is, 0 when it has them all. */
    private long lagMillis(long ackedSeq, long now) {
        if (ackedSeq >= store.watermark(region)) {
            return 0;
        }
        List<Entry> next = store.readLog(region, Math.max(ackedSeq + 1, store.logStart(region)), 1);
        return next.isEmpty() ? 0 : Math.max(0, now - next.getFirst().hlc().physicalMillis());
    }

    Set<String> replicatedKeyspaces() {
        Set<String> names = new HashSet<>();
        // Strong keyspaces are stored and replicated by their Raft groups, in another format: never here.
        config.keyspaces().stream().filter(k -> io.meridian.core.KeyspaceRules.of(k.policy()).asynchronous())
                .map(KeyspaceConfig::name).forEach(names::add);
        config.canaryKeyspace().ifPresent(k -> names.add(k.name())); // in snapshots too: a new region sees beats at once
        return names;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (progress) {
            progress.notifyAll(); // subscriptions waiting for the next event end
        }
        synchronized (held) {
            held.notifyAll(); // writes waiting for a copy elsewhere end (unacknowledged)
        }
        scheduler.close();
        if (streams != null) {
            streams.close();
        }
        if (server != null) {
            server.close();
        }
        GroupWriter writer;
        synchronized (this) {
            writer = groupWriter;
        }
        if (writer != null) {
            writer.stop(); // writes queued are answered with an error; the group being written is answered as usual
        }
        store.close(); // writes still waiting for their fsync are answered with an error
    }
}
