package io.meridian.core.replication;

import io.meridian.core.Idempotency;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One region's replica of the asynchronously replicated keyspaces: it stamps local writes and
 * applies writes received from other regions, resolving concurrent ones. Pure: the store is
 * injected, the wall clock is passed in, nothing here blocks or spawns.
 *
 * <p><b>Model.</b> Each region numbers the writes it originates 1, 2, 3...; a replica applies
 * an origin's writes strictly in that order (its watermark for the origin is the last one
 * applied), so a resent entry is a no-op and a gap is refused until the missing entries come.
 * Writes of different origins may arrive in any order.
 *
 * <p><b>Resolution.</b> Every entry carries its key's version vector: every write to the key it
 * follows. A key holds its {@link KeyState}: the writes no other write here follows. An incoming
 * entry that some sibling follows is already superseded and changes nothing; otherwise it
 * replaces the siblings it follows and joins the others. When siblings remain, they are
 * concurrent: the keyspace's {@link ConflictResolver} (last-writer-wins by default) picks the
 * winner, and each write that stops being, or never becomes, the winner is recorded as a
 * {@link Conflict}. A local write follows every sibling, so it collapses them. Every replica
 * thus ends with the same siblings and the same winner, whatever the delivery order (the
 * simulation checks it).
 *
 * <p>Callers serialise calls per replica (the node holds a lock; the simulation is single-threaded).
 */
public final class Replica {
    private final String region;
    private final ReplicaStore store;
    private final HybridClock clock;
    private final Function<String, ConflictResolver> resolvers;
    private final OriginFence fence;
    private final Function<String, java.util.function.BinaryOperator<byte[]>> merges;

    /** A replica resolving every keyspace's conflicts by last-writer-wins. */
    public Replica(String region, ReplicaStore store) {
        this(region, store, keyspace -> ConflictResolver.LWW);
    }

    /** @param resolvers the resolver of each keyspace */
    public Replica(String region, ReplicaStore store, Function<String, ConflictResolver> resolvers) {
        this(region, store, resolvers, OriginFence.NONE);
    }

    /** @param fence what failovers say about received writes */
    public Replica(String region, ReplicaStore store, Function<String, ConflictResolver> resolvers, OriginFence fence) {
        this(region, store, resolvers, fence, keyspace -> null);
    }

    /**
     * @param merges for keyspaces whose values merge instead of conflicting (CRDTs), how two
     *               encoded values join; null for the others
     */
    public Replica(String region, ReplicaStore store, Function<String, ConflictResolver> resolvers, OriginFence fence,
                   Function<String, java.util.function.BinaryOperator<byte[]>> merges) {
        this.merges = merges;
        this.region = region;
        this.store = store;
        this.clock = new HybridClock(store.highestHlc());
        this.resolvers = resolvers;
        this.fence = fence;
    }

    public String region() {
        return region;
    }

    /** Where each keyspace may live: a write of a keyspace that may not live here is logged withheld, never applied. */
    private volatile Residency residency = Residency.NONE;

    /** Sets where each keyspace may live (before the replica applies anything). */
    public void residency(Residency residency) {
        this.residency = java.util.Objects.requireNonNull(residency);
    }

    public Residency residency() {
        return residency;
    }

    public ReplicaStore store() {
        return store;
    }

    public Hlc clock() {
        return clock.last();
    }

    /**
     * A write to perform locally: a put (value, content type) or a delete, with the client's
     * idempotency key ({@link Idempotency#NONE}: none), which the logged entry carries.
     */
    public record Write(String keyspace, String key, Entry.Op op, byte[] value, String contentType, String home,
                        Idempotency idempotency) {
        public Write(String keyspace, String key, Entry.Op op, byte[] value, String contentType, String home) {
            this(keyspace, key, op, value, contentType, home, Idempotency.NONE);
        }

        public static Write put(String keyspace, String key, byte[] value, String contentType, String home) {
            return new Write(keyspace, key, Entry.Op.PUT, value, contentType, home);
        }

        public static Write delete(String keyspace, String key, String home) {
            return new Write(keyspace, key, Entry.Op.DELETE, new byte[0], "", home);
        }

        public Write idempotent(Idempotency idempotency) {
            return new Write(keyspace, key, op, value, contentType, home, idempotency);
        }
    }

    /**
     * The outcome of a local write: the logged entry and the state it replaced, if any; or, when
     * {@code replayed}, the earlier write the request's idempotency key named (its stamp, key,
     * operation and home; no value), and nothing written now.
     */
    public record Written(Entry entry, Optional<KeyState> replaced, boolean replayed) {
        public Written(Entry entry, Optional<KeyState> replaced) {
            this(entry, replaced, false);
        }

        /** The answer to a retried request: the write it named, already made. */
        public static Written replay(Entry earlier) {
            return new Written(earlier, Optional.empty(), true);
        }

        /** True when the write created its key (none, or a tombstone, was there). */
        public boolean created() {
            return replayed ? entry.idempotency().created() : replaced.filter(r -> !r.winner().isTombstone()).isEmpty();
        }
    }

    /**
     * Stamps and commits a write originated here; it follows every sibling of the key. Policy
     * checks (is this region allowed to write the key?) and preconditions are the caller's, made
     * under the same lock.
     *
     * <p>A write to a key this region does not hold follows everything the region has applied:
     * the key may have been deleted here and its tombstone collected, and the write must still
     * follow that delete everywhere (a region still holding the tombstone would otherwise see the
     * two as concurrent, record a conflict, and with a resolver that prefers deletes keep the
     * delete while this region keeps the write). The simulation found it once it collected tombstones.
     */
    public Written write(Write w, long wallMillis) {
        long seq = store.watermark(region) + 1;
        Hlc hlc = clock.now(wallMillis);
        Optional<KeyState> current = store.state(w.keyspace(), w.key());
        VersionVector context = current.map(KeyState::context).orElseGet(store::watermarks).with(region, seq);
        Idempotency idempotency = w.idempotency().isNone() ? Idempotency.NONE
                : w.idempotency().created(w.op() == Entry.Op.PUT && current.filter(c -> !c.winner().isTombstone()).isEmpty());
        Entry entry = new Entry(region, seq, hlc, w.keyspace(), w.key(), w.op(), w.value(), w.contentType(), w.home(), context,
                idempotency);
        store.commit(new ReplicaStore.Commit(entry, Optional.of(KeyState.of(entry)), List.of(), true));
        return new Written(entry, current);
    }

    /**
     * A local write to a keyspace whose values merge: {@code delta} computes the change from the
     * key's current value (absent when it has none) and the write's HLC; the log entry carries the
     * delta, the key holds its value joined with the delta. Durable when this returns.
     *
     * @return the write, whose entry holds the key's new value
     */
    public Written writeMerged(String keyspace, String key, String contentType,
                               java.util.function.BiFunction<Optional<byte[]>, Hlc, byte[]> delta, long wallMillis) {
        return writeMerged(keyspace, key, contentType, delta, wallMillis, Idempotency.NONE);
    }

    /** As {@link #writeMerged(String, String, String, java.util.function.BiFunction, long)}, logged with an idempotency key. */
    public Written writeMerged(String keyspace, String key, String contentType,
                               java.util.function.BiFunction<Optional<byte[]>, Hlc, byte[]> delta, long wallMillis,
                               Idempotency idempotency) {
        java.util.function.BinaryOperator<byte[]> join = merges.apply(keyspace);
        if (join == null) {
            throw new IllegalArgumentException("keyspace '" + keyspace + "' does not merge");
        }
        long seq = store.watermark(region) + 1;
        Optional<KeyState> current = store.state(keyspace, key);
        Hlc hlc = clock.now(wallMillis);
        byte[] d = delta.apply(current.map(c -> c.winner().value()), hlc);
        VersionVector context = current.map(KeyState::context).orElseGet(store::watermarks).with(region, seq);
        Entry logged = new Entry(region, seq, hlc, keyspace, key, Entry.Op.PUT, d, contentType, "", context,
                idempotency.isNone() ? idempotency : idempotency.created(current.isEmpty()));
        byte[] value = current.map(c -> join.apply(c.winner().value(), d)).orElse(d);
        Entry state = new Entry(region, seq, hlc, keyspace, key, Entry.Op.PUT, value, contentType, "", context);
        store.commit(new ReplicaStore.Commit(logged, Optional.of(KeyState.of(state)), List.of(), true));
        return new Written(state, current);
    }

    /** What applying one received entry did. */
    public sealed interface Applied {
        /** Already applied here (a resend): nothing changed. */
        record Duplicate(Entry entry) implements Applied {
        }

        /** An earlier entry of the same origin is missing: refused, nothing changed. */
        record Gap(Entry entry, long expectedSeq) implements Applied {
        }

        /**
         * Logged; the key now holds {@code state}; {@code replaced} are the siblings this entry
         * followed; {@code conflict} the write that lost, if the entry met a concurrent one.
         */
        record Accepted(Entry entry, KeyState state, List<Entry> replaced, Optional<Conflict> conflict) implements Applied {
        }

        /** Its origin lost it in a failover: logged and recorded on the conflict feed, not applied. */
        record Lost(Entry entry, Conflict record) implements Applied {
        }

        /** Its origin failed and has not yet said how far its writes go: refused for now, nothing changed. */
        record Held(Entry entry) implements Applied {
        }

        /**
         * Its keyspace may not live in this region ({@link Residency}): logged withheld, for its
         * sequence alone; no key changed. {@code entry} is what was logged.
         */
        record Outside(Entry entry) implements Applied {
        }

        /**
         * Withheld by the region that sent it, while this region holds its keyspace: refused,
         * nothing changed, until the write arrives whole from a region that may hold it.
         */
        record Incomplete(Entry entry) implements Applied {
        }
    }

    public Applied apply(Entry e, long wallMillis) {
        long watermark = store.watermark(e.origin());
        if (e.origin().equals(region) && e.seq() > watermark) {
            throw new IllegalStateException(region + " received its own write " + e.stamp()
                    + " beyond its watermark " + watermark + ": the log was lost or another node uses this region's name");
        }
        if (e.seq() <= watermark) {
            return new Applied.Duplicate(e);
        }
        if (e.seq() > watermark + 1) {
            return new Applied.Gap(e, watermark + 1);
        }
        boolean mine = residency.mayHold(e.keyspace(), region);
        if (mine && e.isWithheld()) {
            return new Applied.Incomplete(e);
        }
        OriginFence.Verdict verdict = fence.judge(e);
        if (verdict == OriginFence.Verdict.HOLD) {
            return new Applied.Held(e);
        }
        if (!mine) { // whether it was lost in a failover or not, nothing of it may be kept here but its place in the sequence
            Entry withheld = e.withheld();
            clock.observe(e.hlc(), wallMillis);
            store.commit(new ReplicaStore.Commit(withheld, Optional.empty(), List.of(), false));
            return new Applied.Outside(withheld);
        }
        if (verdict == OriginFence.Verdict.LOST) {
            Conflict record = Conflict.lost(e, region);
            store.commit(new ReplicaStore.Commit(e, Optional.empty(), List.of(record), false));
            return new Applied.Lost(e, record);
        }
        clock.observe(e.hlc(), wallMillis);
        Optional<KeyState> current = store.state(e.keyspace(), e.key());
        Applied.Accepted result = merge(e, current);
        Optional<KeyState> changed = current.isPresent() && result.state() == current.get()
                ? Optional.empty() : Optional.of(result.state());
        store.commit(new ReplicaStore.Commit(e, changed, result.conflict().stream().toList(), false));
        return result;
    }

    /**
     * Merges one sibling from a peer's snapshot into the key's state, without a log entry (the
     * snapshot stands for the entries it summarises). Snapshots are installed sibling by
     * sibling, then {@link #finishInstall}; a crash in between leaves the watermarks as they were
     * and the install can simply run again.
     *
     * @return the conflict it caused, if any
     */
    public Optional<Conflict> installState(Entry sibling) {
        if (!residency.mayHold(sibling.keyspace(), region)) {
            return Optional.empty(); // a sender should not have sent it; whatever it is, it may not be kept here
        }
        if (sibling.contentType().equals(io.meridian.core.events.EventCodec.SLICE_CONTENT_TYPE)) {
            store.installEvents(sibling);
            return Optional.empty();
        }
        Optional<KeyState> current = store.state(sibling.keyspace(), sibling.key());
        Applied.Accepted result = merge(sibling, current);
        if (current.isEmpty() || result.state() != current.get()) {
            store.install(result.state(), result.conflict().stream().toList());
        }
        return result.conflict();
    }

    /** Finishes a snapshot install: the replica now holds everything the snapshot's watermarks cover. */
    public void finishInstall(VersionVector snapshotWatermarks, Hlc snapshotHighest) {
        store.raiseWatermarks(store.watermarks().merge(snapshotWatermarks), snapshotHighest);
        clock.observe(snapshotHighest, 0);
    }

    /**
     * What {@link #revertLost} undid: how many writes, when the first and last were made, and how
     * many of them this region had answered to their clients (the others were never acknowledged).
     */
    public record Reverted(long writes, long firstMillis, long lastMillis, long answered) {
    }

    /**
     * The writes this region originated numbered {@code (after, through]} in keyspaces that
     * {@code lost} selects: those it acknowledged after the other regions stopped receiving its
     * writes, and that a failover has since given to another region. Only reads.
     */
    public Reverted lostWrites(long after, long through, java.util.function.Predicate<String> lost) {
        long[] acc = {0, 0, 0, 0};
        forOwnLog(after, through, e -> {
            if (lost.test(e.keyspace())) {
                acc[1] = acc[0] == 0 ? e.hlc().physicalMillis() : acc[1];
                acc[2] = e.hlc().physicalMillis();
                acc[0]++;
                acc[3] += Boolean.TRUE.equals(store.answered(e.seq())) ? 1 : 0;
            }
        });
        return new Reverted(acc[0], acc[1], acc[2], acc[3]);
    }

    /**
     * Undoes, in this region's own state, the writes {@link #lostWrites} selects: each is
     * recorded on the conflict feed and removed from its key's siblings (a key left with none is
     * removed), so that the survivors' version of the key, installed next from a peer's snapshot,
     * is what this region holds, as everywhere else. The log keeps the entries: peers receive them
     * and record them as lost too.
     */
    public Reverted revertLost(long after, long through, java.util.function.Predicate<String> lost) {
        Reverted r = lostWrites(after, through, lost);
        forOwnLog(after, through, e -> {
            if (!lost.test(e.keyspace())) {
                return;
            }
            Optional<KeyState> current = store.state(e.keyspace(), e.key());
            List<Entry> remaining = current.map(KeyState::siblings).orElse(List.of()).stream()
                    .filter(s -> !s.sameWrite(e)).toList();
            Optional<KeyState> next = current.isEmpty() ? Optional.empty()
                    : remaining.size() == current.get().siblings().size() ? current
                    : remaining.isEmpty() ? Optional.empty()
                    : Optional.of(KeyState.resolve(remaining, resolvers.apply(e.keyspace())));
            store.replace(e.keyspace(), e.key(), next, List.of(Conflict.lost(e, region, store.answered(e.seq()))));
        });
        return r;
    }

    private void forOwnLog(long after, long through, java.util.function.Consumer<Entry> each) {
        long from = Math.max(after + 1, store.logStart(region));
        while (from <= through) {
            List<Entry> chunk = store.readLog(region, from, 1_000);
            if (chunk.isEmpty()) {
                return;
            }
            for (Entry e : chunk) {
                if (e.seq() > through) {
                    return;
                }
                each.accept(e);
                from = e.seq() + 1;
            }
        }
    }

    private Applied.Accepted merge(Entry e, Optional<KeyState> current) {
        if (current.isEmpty()) {
            return new Applied.Accepted(e, KeyState.of(e), List.of(), Optional.empty());
        }
        KeyState cur = current.get();
        java.util.function.BinaryOperator<byte[]> join = merges.apply(e.keyspace());
        if (join != null) {
            // Values that merge: always join (joining is idempotent, and a snapshot's state may hold writes
            // beyond the one it is stamped with). The stamp is the latest of the two, so replicas that applied
            // the same writes in any order hold the same entry.
            Entry was = cur.winner();
            Entry latest = e.hlc().isAfter(was.hlc()) || e.hlc().equals(was.hlc()) && e.origin().compareTo(was.origin()) > 0 ? e : was;
            Entry joined = new Entry(latest.origin(), latest.seq(), latest.hlc(), e.keyspace(), e.key(), Entry.Op.PUT,
                    join.apply(was.value(), e.value()), latest.contentType(), "", cur.context().merge(e.context()));
            return new Applied.Accepted(e, KeyState.of(joined), List.of(), Optional.empty());
        }
        if (cur.includes(e.origin(), e.seq())) {
            return new Applied.Accepted(e, cur, List.of(), Optional.empty());
        }
        List<Entry> kept = new ArrayList<>();
        List<Entry> replaced = new ArrayList<>();
        for (Entry s : cur.siblings()) {
            (e.context().get(s.origin()) >= s.seq() ? replaced : kept).add(s);
        }
        if (kept.isEmpty()) {
            return new Applied.Accepted(e, KeyState.of(e), replaced, Optional.empty());
        }
        List<Entry> siblings = new ArrayList<>(kept);
        siblings.add(e);
        ConflictResolver resolver = resolvers.apply(e.keyspace());
        KeyState next = KeyState.resolve(siblings, resolver);
        Entry winner = next.winner();
        Entry previous = cur.winner();
        Optional<Conflict> conflict;
        if (winner.sameWrite(e)) {
            conflict = kept.contains(previous)
                    ? Optional.of(new Conflict(e.keyspace(), e.key(), winner, previous, resolver.rule(), region))
                    : Optional.empty();
        } else {
            conflict = Optional.of(new Conflict(e.keyspace(), e.key(), winner, e, resolver.rule(), region));
        }
        return new Applied.Accepted(e, next, replaced, conflict);
    }
}
