package io.meridian.core.replication;

import java.util.List;
import java.util.Optional;

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
 * <p><b>Resolution.</b> Every entry carries its key's version vector. An incoming entry whose
 * vector includes the current one's follows it and replaces it; one included by the current
 * one is already superseded and changes nothing; otherwise the two are concurrent, the higher
 * (HLC, origin) wins, the loser becomes a {@link Conflict}, and the key keeps the union of both
 * vectors so that later writes follow both. Every replica therefore ends with the same state
 * whatever the delivery order (the simulation checks this), and the same winner.
 *
 * <p>Callers serialise calls per replica (the node holds a lock; the simulation is single-threaded).
 */
public final class Replica {
    private final String region;
    private final ReplicaStore store;
    private final HybridClock clock;

    public Replica(String region, ReplicaStore store) {
        this.region = region;
        this.store = store;
        this.clock = new HybridClock(store.highestHlc());
    }

    public String region() {
        return region;
    }

    public ReplicaStore store() {
        return store;
    }

    public Hlc clock() {
        return clock.last();
    }

    /** A write to perform locally: a put (value, content type) or a delete. */
    public record Write(String keyspace, String key, Entry.Op op, byte[] value, String contentType, String home) {
        public static Write put(String keyspace, String key, byte[] value, String contentType, String home) {
            return new Write(keyspace, key, Entry.Op.PUT, value, contentType, home);
        }

        public static Write delete(String keyspace, String key, String home) {
            return new Write(keyspace, key, Entry.Op.DELETE, new byte[0], "", home);
        }
    }

    /** The outcome of a local write: the logged entry and the state it replaced, if any. */
    public record Written(Entry entry, Optional<Entry> replaced) {
    }

    /**
     * Stamps and commits a write originated here. Policy checks (is this region allowed to write
     * the key?) and preconditions are the caller's, made under the same lock.
     */
    public Written write(Write w, long wallMillis) {
        long seq = store.watermark(region) + 1;
        Hlc hlc = clock.now(wallMillis);
        Optional<Entry> current = store.current(w.keyspace(), w.key());
        VersionVector context = current.map(Entry::context).orElse(VersionVector.EMPTY).with(region, seq);
        Entry entry = new Entry(region, seq, hlc, w.keyspace(), w.key(), w.op(), w.value(), w.contentType(), w.home(), context);
        store.commit(new ReplicaStore.Commit(entry, Optional.of(entry), List.of(), true));
        return new Written(entry, current);
    }

    /** What applying one received entry did. */
    public sealed interface Applied {
        /** Already applied here (a resend): nothing changed. */
        record Duplicate(Entry entry) implements Applied {
        }

        /** An earlier entry of the same origin is missing: refused, nothing changed. */
        record Gap(Entry entry, long expectedSeq) implements Applied {
        }

        /** Logged; the key now holds {@code current}; {@code replaced} is what it held before if this followed it. */
        record Accepted(Entry entry, Entry current, Optional<Entry> replaced, Optional<Conflict> conflict) implements Applied {
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
        clock.observe(e.hlc(), wallMillis);
        Optional<Entry> current = store.current(e.keyspace(), e.key());
        Applied.Accepted result = resolve(e, current);
        Optional<Entry> newCurrent = current.isPresent() && result.current() == current.get()
                ? Optional.empty() : Optional.of(result.current());
        store.commit(new ReplicaStore.Commit(e, newCurrent, result.conflict().stream().toList(), false));
        return result;
    }

    /**
     * Merges one key's state from a peer's snapshot: kept if it follows what is here, ignored if
     * what is here follows it, resolved as any concurrent write otherwise. Snapshots are installed
     * entry by entry, then {@link ReplicaStore#raiseWatermarks}; a crash in between leaves the
     * watermarks as they were and the install can simply run again.
     *
     * @return the conflict it caused, if any
     */
    public Optional<Conflict> installState(Entry state) {
        Optional<Entry> current = store.current(state.keyspace(), state.key());
        Applied.Accepted result = resolve(state, current);
        if (current.isEmpty() || result.current() != current.get()) {
            store.install(result.current(), result.conflict().stream().toList());
        }
        return result.conflict();
    }

    /** Finishes a snapshot install: the replica now holds everything the snapshot's watermarks cover. */
    public void finishInstall(VersionVector snapshotWatermarks, Hlc snapshotHighest) {
        store.raiseWatermarks(store.watermarks().merge(snapshotWatermarks), snapshotHighest);
        clock.observe(snapshotHighest, 0);
    }

    private Applied.Accepted resolve(Entry e, Optional<Entry> current) {
        if (current.isEmpty()) {
            return new Applied.Accepted(e, e, Optional.empty(), Optional.empty());
        }
        Entry cur = current.get();
        return switch (e.context().compare(cur.context())) {
            case AFTER -> new Applied.Accepted(e, e, current, Optional.empty());
            case BEFORE, EQUAL -> new Applied.Accepted(e, cur, Optional.empty(), Optional.empty());
            case CONCURRENT -> {
                VersionVector merged = e.context().merge(cur.context());
                boolean incomingWins = Entry.LWW_ORDER.compare(e, cur) > 0;
                Entry winner = (incomingWins ? e : cur).withContext(merged);
                Entry loser = incomingWins ? cur : e;
                Conflict conflict = new Conflict(e.keyspace(), e.key(), winner, loser, Conflict.LWW_RULE, region);
                yield new Applied.Accepted(e, winner, Optional.empty(), Optional.of(conflict));
            }
        };
    }
}
