package io.meridian.core.replication;

import java.util.List;
import java.util.Optional;

/**
 * The durable state a {@link Replica} works on: the current entry of every key, the
 * replication log, and the watermarks. RocksDB in a node, maps in a simulation. A
 * {@link Commit} is applied atomically: after a crash either all of it or none of it is there.
 */
public interface ReplicaStore {

    /** The key's state: its concurrent siblings and the winner, tombstones included. */
    Optional<KeyState> state(String keyspace, String key);

    /** The key's winning write, tombstones included. */
    default Optional<Entry> current(String keyspace, String key) {
        return state(keyspace, key).map(KeyState::winner);
    }

    /** Highest contiguous sequence of {@code origin}'s writes applied here (0 for none). */
    long watermark(String origin);

    /** Every origin's watermark. */
    VersionVector watermarks();

    /** {@code origin}'s logged entries from {@code fromSeq}, in order, at most {@code max}. */
    List<Entry> readLog(String origin, long fromSeq, int max);

    /** The lowest sequence of {@code origin} still in the log, or watermark + 1 when none is. */
    long logStart(String origin);

    /** The highest HLC this store has logged, to restart the clock above it. */
    Hlc highestHlc();

    void commit(Commit commit);

    /**
     * Makes every commit so far durable (commits with {@code sync=false} may not be yet), or, in a
     * store that syncs commits in groups, leaves that to its owner, who waits for it before
     * acknowledging anything.
     */
    void sync();

    /**
     * The highest sequence of {@code origin} that replication may ship: {@link #watermark}, or
     * less in a store whose latest commits are not durable yet.
     */
    default long shippable(String origin) {
        return watermark(origin);
    }

    /** {@link #watermarks}, each at most {@link #shippable}: what a sender may say it holds. */
    default VersionVector shippableWatermarks() {
        return watermarks();
    }

    /**
     * Sets a key's current state from a snapshot, without a log entry (the snapshot stands for
     * the log entries it summarises), recording any conflict.
     */
    void install(KeyState state, List<Conflict> conflicts);

    /**
     * Adds to an event-log keyspace's event store the events of a snapshot's slice (an entry of
     * content type {@link io.meridian.core.events.EventCodec#SLICE_CONTENT_TYPE}) that it does not
     * hold yet, without touching the stream's state or the log.
     */
    void installEvents(Entry slice);

    /**
     * Sets a key's state (removes the key when empty), without a log entry, recording
     * {@code conflicts}: for undoing writes lost in a failover.
     */
    void replace(String keyspace, String key, Optional<KeyState> state, List<Conflict> conflicts);

    /**
     * After a snapshot is installed: every origin's watermark becomes at least {@code to}, and the
     * clock's high-water mark at least {@code highest}. Durable when this returns.
     */
    void raiseWatermarks(VersionVector to, Hlc highest);

    /**
     * Drops the oldest log entries of {@code origin} so that at most {@code keep} remain; a peer
     * that needs older ones is sent a snapshot. @return how many were dropped
     */
    long trimLog(String origin, long keep);

    /**
     * Forgets {@code origin}'s log entries up to {@code seq}: after a snapshot raised the
     * watermark past entries this log never held, the log must not keep a gap.
     */
    void dropLogThrough(String origin, long seq);

    /**
     * Drops the tombstones (keys whose only sibling is a delete) that {@code collectible}
     * accepts, at most {@code max}. @return how many were dropped
     */
    int collectTombstones(java.util.function.Predicate<Entry> collectible, int max);

    /**
     * The write an idempotency key named in {@code keyspace}, as this region applied it (its
     * stamp, key, operation, home and the key's request; no value), if the key was used at or
     * after {@code sinceMillis} (the writes' HLC time).
     */
    default Optional<Entry> idempotent(String keyspace, String idempotencyKey, long sinceMillis) {
        return Optional.empty();
    }

    /** Forgets idempotency keys of writes before {@code beforeMillis}, at most {@code max}. @return how many */
    default int forgetIdempotency(long beforeMillis, int max) {
        return 0;
    }

    /**
     * What one write changes, atomically: the entry joins the log and raises its origin's
     * watermark; the key's state becomes {@code state} (unchanged when empty); conflicts
     * are recorded; an idempotency key the logged write carries is kept with it
     * ({@link #idempotent}). In an event-log keyspace, the events of the logged append that the store does not
     * hold yet join the event store, numbered in this region's order (also when the key's state
     * already holds a later append, which can arrive first from another region); a write lost
     * in a failover ({@link #replace} with its {@link Conflict#lost} record) takes its events out. {@code sync} asks for durability before {@code commit} returns: local writes
     * need it before they are acknowledged; applied remote entries are synced once per batch,
     * before the batch is acknowledged to the sender.
     */
    record Commit(Entry logged, Optional<KeyState> state, List<Conflict> conflicts, boolean sync) {
        public Commit {
            conflicts = List.copyOf(conflicts);
        }
    }

    /**
     * Whether this region answered the client of its own write {@code seq} (the answer was sent):
     * true, false, or null where the store does not keep it. Only writes no other region held when
     * they were answered are kept.
     */
    default Boolean answered(long seq) {
        return null;
    }
}
