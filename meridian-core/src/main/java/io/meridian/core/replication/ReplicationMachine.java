package io.meridian.core.replication;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * One region's asynchronous replication as a step machine: everything it decides, with no
 * thread, clock or socket. The node's shell and the deterministic simulation drive the same
 * class; the shell performs what it returns.
 *
 * <p><b>Inputs</b>, each with the wall clock (milliseconds) passed in:
 * <ul>
 *   <li>{@link #write}: a local write, stamped, logged and made durable through the store;</li>
 *   <li>{@link #onBatch}: a batch of another region's entries (an empty one is a heartbeat);
 *       the result says what each entry did and which watermarks to acknowledge;</li>
 *   <li>{@link #onAck}: a subscriber's acknowledgement;</li>
 *   <li>{@link #installChunk}, {@link #finishInstall}: a snapshot;</li>
 *   <li>{@link #tick}: housekeeping. It trims the log, collects tombstones no region can still
 *       need, and returns the subscription plan: which peer to ask for which origins' writes;</li>
 *   <li>{@link #nextBootstrapStep}: for a region that starts with no data, which peer to take a
 *       snapshot from next, when to pause, and when to give up and start empty.</li>
 * </ul>
 *
 * <p><b>Order the shell keeps.</b> Inputs that change the store ({@code write}, {@code onBatch},
 * the install steps, {@code tick}) are serialised by the caller (the node holds one lock; the
 * simulation is single-threaded). {@code onBatch} syncs the store before it returns, so the
 * watermarks it returns may be acknowledged at once. The queries ({@link #stalenessMillis},
 * {@link #entriesBehind}, {@link #acked}, the counters) may be called from any thread.
 *
 * <p><b>Freshness.</b> A batch from region O carries O's wall clock when sent and O's own
 * watermark; once this region has applied everything up to that watermark, it holds every write
 * O made before that instant. Staleness with respect to O is now minus the latest such instant
 * (exact when the two clocks agree; off by their skew otherwise).
 */
public final class ReplicationMachine {

    /**
     * @param heardMillis         a peer silent this long counts as unreachable for the plan
     * @param retainedEntries     log entries kept per origin for peers that fall behind
     * @param tombstonesPerPass   bounds the work of one tick's tombstone collection
     * @param bootstrapWaitMillis how long an empty region looks for a peer's snapshot before it starts empty
     * @param bootstrapPauseMillis the pause after every peer failed once, before asking them again
     */
    public record Settings(long heardMillis, long retainedEntries, int tombstonesPerPass, long bootstrapWaitMillis,
                           long bootstrapPauseMillis, long idempotencyTtlMillis) {
        /** Idempotency keys kept a day. */
        public Settings(long heardMillis, long retainedEntries, int tombstonesPerPass, long bootstrapWaitMillis,
                        long bootstrapPauseMillis) {
            this(heardMillis, retainedEntries, tombstonesPerPass, bootstrapWaitMillis, bootstrapPauseMillis, 24 * 3_600_000L);
        }
    }

    private final String region;
    private final List<String> regions;
    private final List<String> peers;
    private final Replica replica;
    private final ReplicaStore store;
    private final Settings settings;
    private final Map<String, Long> freshUntil = new ConcurrentHashMap<>();
    private final Map<String, VersionVector> peerAcks = new ConcurrentHashMap<>();
    private final Map<String, VersionVector> peerHeads = new ConcurrentHashMap<>();
    private final AtomicLong conflicts = new AtomicLong();
    private final Map<String, AtomicLong> conflictsByKeyspace = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong lostWritesSeen = new AtomicLong();
    private final AtomicLong tombstonesCollected = new AtomicLong();
    private volatile String bootstrappedFrom;
    private Bootstrap bootstrap;
    private final Exposure exposure;

    /** @param regions every region that holds data, this one included, in configuration order */
    public ReplicationMachine(Replica replica, List<String> regions, Settings settings) {
        this(replica, regions, settings, 0);
    }

    /**
     * @param heldThrough the highest of this region's own sequences another region was known to
     *                    hold (remembered across restarts); its later writes still in the log count as
     *                    exposed until a peer acknowledges them
     */
    public ReplicationMachine(Replica replica, List<String> regions, Settings settings, long heldThrough) {
        this.region = replica.region();
        this.regions = List.copyOf(regions);
        this.peers = regions.stream().filter(r -> !r.equals(region)).toList();
        this.replica = replica;
        this.store = replica.store();
        this.settings = settings;
        this.exposure = new Exposure(heldThrough);
        replica.residency().regions().keySet().forEach(exposure::restrict); // before the replay below counts their writes
        long from = Math.max(heldThrough + 1, store.logStart(region));
        long through = store.watermark(region);
        while (from <= through) {
            List<Entry> chunk = store.readLog(region, from, 1_000);
            if (chunk.isEmpty()) {
                break;
            }
            chunk.forEach(e -> exposed(e, e.hlc().physicalMillis()));
            from = chunk.getLast().seq() + 1;
        }
    }

    /** A write of this region made at {@code atMillis} on its clock (its HLC may run ahead, after a peer's). */
    private void exposed(Entry e, long atMillis) {
        if (io.meridian.core.canary.Canary.isCanary(e.keyspace())) {
            return; // a probe, not a user's write: losing it loses nothing
        }
        if (replica.residency().onlyIn(e.keyspace(), region)) {
            return; // its keyspace may live in this region alone: it waits for no copy, and will never have one
        }
        exposure.written(e.keyspace(), e.seq(), atMillis, e.value().length);
    }

    /** This region's writes that no other region is known to hold yet. */
    public Exposure exposure() {
        return exposure;
    }

    public String region() {
        return region;
    }

    public List<String> peers() {
        return peers;
    }

    public ReplicaStore store() {
        return store;
    }

    // ---- inputs ----

    /** A local write: stamped, logged and durable when this returns. */
    public Replica.Written write(Replica.Write w, long wallMillis) {
        Replica.Written written = replica.write(w, wallMillis);
        exposed(written.entry(), wallMillis);
        return written;
    }

    /**
     * The earlier write an idempotency key named in {@code keyspace}, if this region applied one
     * within the keys' lifetime: the request is a retry, answered as that write was.
     *
     * @throws io.meridian.core.MeridianException {@code IDEMPOTENCY_KEY_REUSED} when the key named another request
     */
    public Optional<Replica.Written> replay(String keyspace, io.meridian.core.Idempotency idempotency, long wallMillis) {
        if (idempotency.isNone()) {
            return Optional.empty();
        }
        Optional<Entry> earlier = store.idempotent(keyspace, idempotency.key(), wallMillis - settings.idempotencyTtlMillis());
        if (earlier.isEmpty()) {
            return Optional.empty();
        }
        if (!earlier.get().idempotency().sameRequest(idempotency)) {
            throw earlier.get().idempotency().reused(keyspace);
        }
        return Optional.of(Replica.Written.replay(earlier.get()));
    }

    /** A local write to a keyspace whose values merge (see {@link Replica#writeMerged}). */
    public Replica.Written writeMerged(String keyspace, String key, String contentType,
                                       java.util.function.BiFunction<Optional<byte[]>, Hlc, byte[]> delta, long wallMillis) {
        return writeMerged(keyspace, key, contentType, delta, wallMillis, io.meridian.core.Idempotency.NONE);
    }

    /** As {@link #writeMerged(String, String, String, java.util.function.BiFunction, long)}, with an idempotency key. */
    public Replica.Written writeMerged(String keyspace, String key, String contentType,
                                       java.util.function.BiFunction<Optional<byte[]>, Hlc, byte[]> delta, long wallMillis,
                                       io.meridian.core.Idempotency idempotency) {
        Replica.Written written = replica.writeMerged(keyspace, key, contentType, delta, wallMillis, idempotency);
        exposed(written.entry(), wallMillis);
        return written;
    }

    /** What a batch did: each entry's outcome, and the watermarks to acknowledge to the sender. */
    public record BatchResult(List<Replica.Applied> applied, VersionVector watermarks) {
    }

    /**
     * A batch from {@code from}, sent at {@code sentAtMillis} on its clock when its own watermarks
     * were {@code senderWatermarks}. Applies the entries, makes them durable, and updates what
     * this region knows of the sender's progress and of its freshness.
     */
    public BatchResult onBatch(String from, List<Entry> entries, long sentAtMillis, VersionVector senderWatermarks,
                               long wallMillis) {
        List<Replica.Applied> applied = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            Replica.Applied a = replica.apply(e, wallMillis);
            if (a instanceof Replica.Applied.Lost) {
                lostWritesSeen.incrementAndGet();
            }
            if (a instanceof Replica.Applied.Accepted accepted && accepted.conflict().isPresent()) {
                conflicted(e.keyspace());
            }
            applied.add(a);
        }
        if (!entries.isEmpty()) {
            store.sync();
        }
        VersionVector watermarks = store.watermarks();
        peerHeads.merge(from, senderWatermarks, VersionVector::merge);
        if (watermarks.get(from) >= senderWatermarks.get(from)) {
            freshUntil.merge(from, sentAtMillis, Math::max);
        }
        return new BatchResult(applied, watermarks);
    }

    /** {@code subscriber} holds every write {@code watermarks} covers. */
    public void onAck(String subscriber, VersionVector watermarks) {
        peerAcks.merge(subscriber, watermarks, VersionVector::merge);
        Residency residency = replica.residency();
        exposure.heldElsewhere(watermarks.get(region), keyspace -> residency.mayHold(keyspace, subscriber));
    }

    /**
     * Housekeeping: trims the log, collects the tombstones no region can still need, and works
     * out which peer to ask for which origins' writes. An origin that was heard from recently is
     * asked itself; one that was not is asked of every peer heard from (so a region catches up on
     * a silent region's writes from whoever has them), and is still asked for its own writes, so
     * that it is heard from again when it answers.
     *
     * @param lastHeardMillis when each peer last sent a batch or heartbeat (absent: never, or not connected)
     */
    public Tick tick(long wallMillis, Map<String, Long> lastHeardMillis) {
        Set<String> reachable = new TreeSet<>();
        lastHeardMillis.forEach((peer, heard) -> {
            if (wallMillis - heard <= settings.heardMillis()) {
                reachable.add(peer);
            }
        });
        Map<String, Set<String>> plan = new LinkedHashMap<>(Subscriptions.plan(region, regions, reachable));
        for (String peer : peers) {
            plan.putIfAbsent(peer, Set.of(peer));
        }
        for (String origin : regions) {
            store.trimLog(origin, settings.retainedEntries());
        }
        VersionVector applied = store.watermarks();
        int dropped = store.collectTombstones(t -> Tombstones.collectible(t, applied, peerAcks, peers),
                settings.tombstonesPerPass());
        tombstonesCollected.addAndGet(dropped);
        store.forgetIdempotency(wallMillis - settings.idempotencyTtlMillis(), settings.tombstonesPerPass());
        return new Tick(plan, dropped);
    }

    /** What a tick decided: the origins to ask each peer for, and how many tombstones it dropped. */
    public record Tick(Map<String, Set<String>> plan, int tombstonesCollected) {
    }

    // ---- snapshots ----

    /** Installs one chunk of a snapshot's key states. @return how many conflicts it recorded */
    public int installChunk(List<Entry> states) {
        int recorded = 0;
        for (Entry state : states) {
            if (replica.installState(state).isPresent()) {
                recorded++;
                conflicted(state.keyspace());
            }
        }
        return recorded;
    }

    /**
     * Finishes the install of {@code peer}'s snapshot: watermarks and clock rise to the
     * snapshot's, and for each origin the snapshot takes past what this region holds, the log
     * forgets the entries up to the snapshot's watermark, so it keeps no gap.
     *
     * <p>Only up to the snapshot's watermark, and only where it raises one: chunks install without
     * the caller's lock held throughout, so this region goes on writing and applying streams
     * meanwhile, and what it wrote or applied is in its log and not in the snapshot. (Dropping
     * through the watermark reached by the end of the install, as before, dropped this region's
     * own writes of those seconds before any peer had them: they were then in no log, and the
     * peers' copies of those keys stayed behind for good.)
     */
    public void finishInstall(String peer, VersionVector watermarks, Hlc highest) {
        VersionVector held = store.watermarks();
        replica.finishInstall(watermarks, highest);
        for (Map.Entry<String, Long> e : watermarks.seqs().entrySet()) {
            if (e.getValue() > held.get(e.getKey())) {
                store.dropLogThrough(e.getKey(), e.getValue());
            }
        }
        bootstrappedFrom = peer;
        if (bootstrap != null) {
            bootstrap.done = true;
        }
    }

    // ---- bootstrap ----

    /** What an empty region does next while it looks for a snapshot. */
    public sealed interface BootstrapStep {
        /** Fetch and install a snapshot from {@code peer}, then report {@link #snapshotFailed} or {@link #finishInstall}. */
        record Fetch(String peer) implements BootstrapStep {
        }

        /** Every peer failed this round: pause, then ask for the next step. */
        record Pause(long millis) implements BootstrapStep {
        }

        /** Done: nothing to bootstrap (the store had data, or a snapshot is installed), or no peer answered in time. */
        record Done(Optional<String> from, String why) implements BootstrapStep {
        }
    }

    /**
     * The peers in the order to ask for a snapshot: those that may hold more of the keyspaces whose
     * residency this region shares with other regions come first. A peer outside a residency has
     * none of its keys, so its snapshot would leave this region without them.
     */
    List<String> bootstrapOrder() {
        Residency residency = replica.residency();
        List<String> shared = residency.regions().keySet().stream()
                .filter(k -> residency.mayHold(k, region) && !residency.onlyIn(k, region)).toList();
        return peers.stream().sorted(java.util.Comparator.comparingLong(
                (String peer) -> shared.stream().filter(k -> residency.mayHold(k, peer)).count()).reversed()).toList();
    }

    private static final class Bootstrap {
        long deadline;
        int next;
        boolean done;
        final List<String> failures = new ArrayList<>();
    }

    /**
     * The next step of bootstrapping this region, {@code monotonicMillis} from a monotonic clock.
     * A region whose store is empty (new, or its data lost) takes a snapshot from the first peer
     * that gives one before it serves: it learns what exists and the sequence its own writes had
     * reached, so it never numbers a write twice. When no peer answers within the wait, it starts
     * empty (a new deployment, where every region is empty, starts this way).
     */
    public BootstrapStep nextBootstrapStep(long monotonicMillis, boolean storeEmpty) {
        if (bootstrap == null) {
            if (!storeEmpty || peers.isEmpty()) {
                return new BootstrapStep.Done(Optional.empty(), storeEmpty ? "no peer to bootstrap from" : "the store has data");
            }
            bootstrap = new Bootstrap();
            bootstrap.deadline = monotonicMillis + settings.bootstrapWaitMillis();
        }
        if (bootstrap.done) {
            return new BootstrapStep.Done(Optional.ofNullable(bootstrappedFrom), "installed a snapshot");
        }
        if (monotonicMillis >= bootstrap.deadline) {
            bootstrap.done = true;
            return new BootstrapStep.Done(Optional.empty(), "no peer gave a snapshot within " + settings.bootstrapWaitMillis()
                    + " ms (" + String.join("; ", bootstrap.failures) + "): starting empty");
        }
        if (bootstrap.next == peers.size()) {
            bootstrap.next = 0;
            return new BootstrapStep.Pause(settings.bootstrapPauseMillis());
        }
        return new BootstrapStep.Fetch(bootstrapOrder().get(bootstrap.next++));
    }

    /** The snapshot from {@code peer} could not be had. */
    public void snapshotFailed(String peer, String why) {
        if (bootstrap != null && !bootstrap.done) {
            bootstrap.failures.removeIf(f -> f.startsWith(peer + ": "));
            bootstrap.failures.add(peer + ": " + why);
        }
    }

    // ---- failover ----

    /** This region's own writes numbered {@code (after, through]} that no other region applied. */
    public Replica.Reverted lostWrites(long after, long through, Predicate<String> singleOwner) {
        return replica.lostWrites(after, through, singleOwner);
    }

    /** Undoes them, recording each on the conflict feed. */
    public Replica.Reverted revertLost(long after, long through, Predicate<String> singleOwner) {
        return replica.revertLost(after, through, singleOwner);
    }

    // ---- queries (any thread) ----

    /**
     * How stale this region may be with respect to writes originated in {@code origin}: 0 for its
     * own, otherwise the time since the latest instant up to which it holds all of that origin's
     * writes; empty when it has never heard from it.
     */
    public Optional<Long> stalenessMillis(String origin, long wallMillis) {
        if (origin.equals(region)) {
            return Optional.of(0L);
        }
        Long fresh = freshUntil.get(origin);
        return fresh == null ? Optional.empty() : Optional.of(Math.max(0, wallMillis - fresh));
    }

    /** The instant (on {@code origin}'s clock) before which this region holds all of its writes. */
    public Optional<Long> freshUntil(String origin) {
        return Optional.ofNullable(freshUntil.get(origin));
    }

    /** How many of {@code peer}'s own writes it has announced that this region has not applied. */
    public long entriesBehind(String peer) {
        return Math.max(0, peerHeads.getOrDefault(peer, VersionVector.EMPTY).get(peer) - store.watermark(peer));
    }

    /** The watermarks {@code peer} last acknowledged to this region. */
    public VersionVector acked(String peer) {
        return peerAcks.getOrDefault(peer, VersionVector.EMPTY);
    }

    private void conflicted(String keyspace) {
        conflicts.incrementAndGet();
        conflictsByKeyspace.computeIfAbsent(keyspace, k -> new AtomicLong()).incrementAndGet();
    }

    /** {@link #conflictsDetected()} per keyspace. */
    public Map<String, Long> conflictsByKeyspace() {
        Map<String, Long> out = new java.util.TreeMap<>();
        conflictsByKeyspace.forEach((k, n) -> out.put(k, n.get()));
        return out;
    }

    public long conflictsDetected() {
        return conflicts.get();
    }

    public long lostWritesSeen() {
        return lostWritesSeen.get();
    }

    public long tombstonesCollected() {
        return tombstonesCollected.get();
    }

    /** The peer whose snapshot this region last installed, or null. */
    public String bootstrappedFrom() {
        return bootstrappedFrom;
    }
}
