package io.meridian.storage;

import io.meridian.core.events.Append;
import io.meridian.core.events.Event;
import io.meridian.core.events.EventCodec;
import io.meridian.core.events.StoredEvent;
import io.meridian.core.replication.Codec;
import io.meridian.core.replication.Conflict;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Hlc;
import io.meridian.core.replication.KeyState;
import io.meridian.core.replication.ReplicaStore;
import io.meridian.core.replication.VersionVector;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The replicated keyspaces' side of a region's {@link Store}: keys hold their
 * {@link KeyState} (concurrent siblings and the winner, tombstones included), and the system
 * families hold the replication log
 * ({@code _replog}: origin, 0, sequence → entry), the watermarks ({@code _watermarks}) and the
 * conflict feed ({@code _conflicts}: keyspace, 0, number → conflict). A commit writes all of
 * them in one RocksDB WriteBatch, so after a crash a write is either wholly there or absent.
 *
 * <p>Watermarks and the HLC high-water mark are cached in memory (read at open, replaced after
 * each commit). Commits are serialised by the caller ({@link io.meridian.core.replication.Replica}'s
 * contract); reads may run concurrently.
 *
 * <p><b>Group commit</b> ({@link #groupCommit}, the node's mode): a commit is written to the
 * write-ahead log without a sync, so it survives the process (the log is in the operating
 * system's cache) but not yet the machine; {@link #sync()} does nothing, and the owner calls
 * {@link #awaitDurable} with the {@link #written()} ticket of its commits, outside its lock,
 * before it acknowledges them: one fsync covers every writer waiting, local writes and applied
 * batches alike, and the commit lock is no longer held across an fsync. Until a commit is
 * durable it is kept out of replication ({@link #shippable}), so no region can receive a write
 * its origin could lose to a power failure; local readers may see it up to that fsync earlier.
 */
public final class ReplicatedStore implements ReplicaStore {
    private static final byte[] HLC_KEY = "hlc-high".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CONFLICT_SEQ_KEY = "conflict-seq".getBytes(StandardCharsets.UTF_8);

    private final Store store;
    private final java.util.function.Predicate<String> eventLogs;
    private final Map<String, Long> lastPositions = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Long> droppedEvents = new java.util.concurrent.ConcurrentHashMap<>();
    private final WriteOptions bufferedWrite = new WriteOptions().setSync(false);
    private final IdempotencyKeys idempotencyKeys;
    private volatile VersionVector watermarks;
    /**
     * Each origin's {@link #logStart}, as last read from the log. A commit never moves it (the log
     * is contiguous from its start to the watermark, and an empty log starts at the watermark's
     * next), so only trimming, dropping and raising watermarks do: each changes the log and this
     * under {@link #logStartsLock}, as does a miss that reads the log. Senders ask for it every
     * batch; a RocksDB seek past the range tombstones trimming leaves was 2 % of a busy origin's CPU.
     */
    private final Map<String, Long> logStarts = new java.util.concurrent.ConcurrentHashMap<>();
    private final Object logStartsLock = new Object();
    /** Each origin's newest entries, as committed: what senders ship comes from here rather than from RocksDB. */
    private final Map<String, LogTail> tails = new java.util.concurrent.ConcurrentHashMap<>();
    static final int TAIL_ENTRIES = 256;
    private static final long TAIL_BYTES = 256 << 10;
    private volatile Hlc highest;
    private long conflictSeq;
    private final boolean groupCommit;
    /** Guards the group-commit state below. */
    private final Object durability = new Object();
    /** Commits written so far in group-commit mode; a commit's ticket is the count after it. */
    private long writtenTickets;
    private long durableTickets;
    private boolean syncing;
    /** Commits not yet durable, oldest first: replication ships none of them. */
    private final java.util.ArrayDeque<Pending> pending = new java.util.ArrayDeque<>();

    private record Pending(long ticket, String origin, long seq) {
    }

    /** A store whose keyspaces hold no event logs. */
    public ReplicatedStore(Store store) {
        this(store, keyspace -> false);
    }

    /** @param eventLogs the keyspaces that are event logs: their appends' events are kept in the event store */
    public ReplicatedStore(Store store, java.util.function.Predicate<String> eventLogs) {
        this(store, eventLogs, false);
    }

    /**
     * @param eventLogs   the keyspaces that are event logs: their appends' events are kept in the event store
     * @param groupCommit commits are synced in groups by {@link #awaitDurable} rather than each on its own (see the class doc)
     */
    public ReplicatedStore(Store store, java.util.function.Predicate<String> eventLogs, boolean groupCommit) {
        this.store = store;
        this.eventLogs = eventLogs;
        this.groupCommit = groupCommit;
        this.idempotencyKeys = new IdempotencyKeys(store);
        try {
            Map<String, Long> seqs = new TreeMap<>();
            try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.WATERMARKS))) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    seqs.put(new String(it.key(), StandardCharsets.UTF_8), ByteBuffer.wrap(it.value()).getLong());
                }
            }
            this.watermarks = new VersionVector(seqs);
            byte[] hlc = store.db().get(store.systemFamily(Store.META), HLC_KEY);
            this.highest = hlc == null ? Hlc.ZERO : new Hlc(ByteBuffer.wrap(hlc).getLong(), ByteBuffer.wrap(hlc).getInt(8));
            byte[] seq = store.db().get(store.systemFamily(Store.META), CONFLICT_SEQ_KEY);
            this.conflictSeq = seq == null ? 0 : ByteBuffer.wrap(seq).getLong();
        } catch (RocksDBException e) {
            throw new StorageException("cannot read replication state in " + store.directory() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<KeyState> state(String keyspace, String key) {
        try {
            byte[] bytes = store.db().get(store.family(keyspace), key.getBytes(StandardCharsets.UTF_8));
            return bytes == null ? Optional.empty() : Optional.of(checked(keyspace, key, Codec.decodeState(bytes)));
        } catch (RocksDBException e) {
            throw new StorageException("read of " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    private static KeyState checked(String keyspace, String key, KeyState s) {
        if (!s.keyspace().equals(keyspace) || !s.key().equals(key)) {
            throw new IllegalStateException("key " + keyspace + "/" + key + " holds the state of " + s.keyspace() + "/" + s.key());
        }
        return s;
    }

    @Override
    public long watermark(String origin) {
        return watermarks.get(origin);
    }

    @Override
    public VersionVector watermarks() {
        return watermarks;
    }

    @Override
    public Hlc highestHlc() {
        return highest;
    }

    @Override
    public List<Entry> readLog(String origin, long fromSeq, int max) {
        List<Entry> entries = new ArrayList<>(Math.min(max, 64));
        LogTail tail = tails.get(origin);
        // A tail holding fromSeq runs to the newest commit (a commit enters it before the watermark moves), so it
        // answers alone; otherwise the log does.
        if (tail == null || tail.copy(fromSeq, max, entries) == fromSeq) {
            readStoredLog(origin, fromSeq, max, entries);
        }
        return entries;
    }

    private void readStoredLog(String origin, long fromSeq, int max, List<Entry> entries) {
        byte[] prefix = logPrefix(origin);
        try (ReadOptions options = new ReadOptions();
             RocksIterator it = store.db().newIterator(store.systemFamily(Store.LOG), options)) {
            long expected = fromSeq;
            for (it.seek(logKey(origin, fromSeq)); it.isValid() && entries.size() < max && startsWith(it.key(), prefix); it.next()) {
                Entry e = Codec.decodeEntry(it.value());
                if (!e.origin().equals(origin) || e.seq() != expected) {
                    throw new IllegalStateException("log of " + origin + " holds " + e.stamp() + " where " + expected + " belongs");
                }
                entries.add(e);
                expected++;
            }
        }
    }

    @Override
    public long logStart(String origin) {
        Long known = logStarts.get(origin);
        if (known != null) {
            return known;
        }
        synchronized (logStartsLock) {
            long start = readLogStart(origin);
            logStarts.put(origin, start);
            return start;
        }
    }

    private long readLogStart(String origin) {
        // The watermark first: a commit landing during the seek then leaves either its entry to find or this past it.
        long watermark = watermark(origin);
        byte[] prefix = logPrefix(origin);
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.LOG))) {
            it.seek(prefix);
            if (it.isValid() && startsWith(it.key(), prefix)) {
                return ByteBuffer.wrap(it.key(), prefix.length, 8).getLong();
            }
        }
        return watermark + 1;
    }

    @Override
    public void commit(Commit c) {
        Entry e = c.logged();
        long expected = watermarks.get(e.origin()) + 1;
        if (e.seq() != expected) {
            throw new IllegalStateException("commit of " + e.stamp() + " where " + e.origin() + ":" + expected + " is next");
        }
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(store.systemFamily(Store.LOG), logKey(e.origin(), e.seq()), Codec.encode(e));
            batch.put(store.systemFamily(Store.WATERMARKS), e.origin().getBytes(StandardCharsets.UTF_8), longBytes(e.seq()));
            if (c.state().isPresent()) {
                putState(batch, c.state().get());
            }
            if (c.conflicts().stream().noneMatch(Conflict::isLoss) && !e.isWithheld()) {
                // (A withheld write, of a keyspace that may not live here, is in the log for its sequence alone.)
                // The logged append's events, even when the stream's state already holds a later append (one made by
                // another region after a failover or a home move can arrive first).
                putEvents(batch, c.logged());
                putChange(batch, c.logged());
                putIdempotency(batch, c.logged());
            }
            long seq = putConflicts(batch, c.conflicts());
            Hlc high = e.hlc().isAfter(highest) ? e.hlc() : highest;
            batch.put(store.systemFamily(Store.META), HLC_KEY,
                    ByteBuffer.allocate(12).putLong(high.physicalMillis()).putInt(high.logical()).array());
            if (groupCommit) {
                // Pending before the watermark moves: a sender that sees the new watermark sees it held back.
                Pending p;
                synchronized (durability) {
                    p = new Pending(++writtenTickets, e.origin(), e.seq());
                    pending.addLast(p);
                }
                try {
                    store.db().write(bufferedWrite, batch);
                } catch (RocksDBException | RuntimeException ex) {
                    synchronized (durability) {
                        pending.remove(p);
                    }
                    throw ex;
                }
            } else {
                store.db().write(c.sync() ? store.syncWrite() : bufferedWrite, batch);
            }
            // In the tail before the watermark moves: a sender that sees the new watermark finds the entry there.
            tails.computeIfAbsent(e.origin(), o -> new LogTail(TAIL_ENTRIES, TAIL_BYTES)).append(e);
            conflictSeq = seq;
            highest = high;
            watermarks = watermarks.with(e.origin(), e.seq());
        } catch (RocksDBException ex) {
            throw new StorageException("commit of " + e.stamp() + " failed: " + ex.getMessage(), ex);
        }
    }

    /** Keeps the write's idempotency key, if it has one, with what a replay of it answers (no value). */
    private void putIdempotency(WriteBatch batch, Entry e) throws RocksDBException {
        if (e.idempotency().isNone()) {
            return;
        }
        Entry record = new Entry(e.origin(), e.seq(), e.hlc(), e.keyspace(), e.key(), e.op(), new byte[0], "", e.home(),
                new VersionVector(java.util.Map.of(e.origin(), e.seq())), e.idempotency());
        idempotencyKeys.put(batch, e.keyspace(), e.idempotency().key(), e.hlc().physicalMillis(), Codec.encode(record));
    }

    @Override
    public Optional<Entry> idempotent(String keyspace, String idempotencyKey, long sinceMillis) {
        return idempotencyKeys.get(keyspace, idempotencyKey, sinceMillis).map(Codec::decodeEntry);
    }

    @Override
    public int forgetIdempotency(long beforeMillis, int max) {
        return idempotencyKeys.forget(beforeMillis, max, bufferedWrite);
    }

    /**
     * Numbers and writes conflict records into the batch; a write lost in a failover is recorded
     * once per region however often it is met again (a retried resync, a resent batch).
     * @return the last conflict number used
     */
    private long putConflicts(WriteBatch batch, List<Conflict> conflicts) throws RocksDBException {
        long seq = conflictSeq;
        for (Conflict conflict : conflicts) {
            if (conflict.isLoss()) {
                byte[] marker = lossKey(conflict.keyspace(), conflict.loser());
                if (store.db().get(store.systemFamily(Store.META), marker) != null) {
                    continue;
                }
                batch.put(store.systemFamily(Store.META), marker, new byte[0]);
            }
            seq++;
            batch.put(store.systemFamily(Store.CONFLICTS), conflictKey(conflict.keyspace(), seq), Codec.encode(conflict));
        }
        if (seq != conflictSeq) {
            batch.put(store.systemFamily(Store.META), CONFLICT_SEQ_KEY, longBytes(seq));
        }
        return seq;
    }

    private static byte[] lossKey(String keyspace, Entry lost) {
        return ("lost:" + keyspace + ":" + lost.origin() + ":" + lost.seq()).getBytes(StandardCharsets.UTF_8);
    }

    // ---- answers ----

    private static byte[] answeredKey(long seq) {
        return ByteBuffer.allocate(10).put((byte) 'a').put((byte) ':').putLong(seq).array();
    }

    /**
     * This region sent the client its answer to its own write {@code seq}, which no other region
     * was known to hold: remembered (in the write-ahead log, not synced: it survives the process,
     * which is what a region's loss in a failover is) until another region holds it.
     */
    public void markAnswered(long seq) {
        try {
            store.db().put(store.systemFamily(Store.META), bufferedWrite, answeredKey(seq), new byte[0]);
        } catch (RocksDBException e) {
            throw new StorageException("recording the answer to write " + seq + " failed: " + e.getMessage(), e);
        }
    }

    /** Forgets the answers to writes up to {@code seq}: another region holds them, so no failover can lose them. */
    public void forgetAnsweredThrough(long seq) {
        try {
            store.db().deleteRange(store.systemFamily(Store.META), answeredKey(0), answeredKey(seq + 1));
        } catch (RocksDBException e) {
            throw new StorageException("forgetting answers failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Boolean answered(long seq) {
        try {
            return store.db().get(store.systemFamily(Store.META), answeredKey(seq)) != null;
        } catch (RocksDBException e) {
            throw new StorageException("reading the answer to write " + seq + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Writes a key's state into the batch, and keeps the index of deleted keys in step. A key
     * leaves the index only if it is in it: a delete for every write would leave a RocksDB
     * deletion marker per write in the index's memtable, and {@link #collectTombstones}' scan,
     * which runs under the commit lock, skipped every one of them (tens of milliseconds at a few
     * thousand writes a second, measured).
     */
    private void putState(WriteBatch batch, KeyState state) throws RocksDBException {
        batch.put(store.family(state.keyspace()), state.key().getBytes(StandardCharsets.UTF_8), Codec.encode(state));
        byte[] indexKey = tombstoneKey(state.keyspace(), state.key());
        if (state.winner().isTombstone()) {
            batch.put(store.systemFamily(Store.TOMBSTONES), indexKey, new byte[0]);
        } else if (store.db().get(store.systemFamily(Store.TOMBSTONES), indexKey) != null) {
            batch.delete(store.systemFamily(Store.TOMBSTONES), indexKey);
        }
    }

    @Override
    public void install(KeyState cur, List<Conflict> conflicts) {
        writeState(cur.keyspace(), cur.key(), Optional.of(cur), conflicts, bufferedWrite);
    }

    @Override
    public void installEvents(Entry slice) {
        try (WriteBatch batch = new WriteBatch()) {
            putEvents(batch, slice);
            store.db().write(bufferedWrite, batch);
        } catch (RocksDBException e) {
            throw new StorageException("installing events of " + slice.keyspace() + "/" + slice.key() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Adds to the batch the events of an append (the winning write of an event-log key, or a
     * snapshot's slice) that the store does not hold yet, each at the next position of the
     * keyspace. A version already held keeps its event and its position: a stream's events
     * never change once a region holds them, except for writes lost in a failover.
     */
    private void putEvents(WriteBatch batch, Entry append) throws RocksDBException {
        if (!eventLogs.test(append.keyspace()) || append.isTombstone()) {
            return;
        }
        Append a = EventCodec.decode(append.value());
        for (int i = 0; i < a.events().size(); i++) {
            long version = a.firstVersion() + i;
            byte[] key = eventKey(append.keyspace(), append.key(), version);
            if (store.db().get(store.systemFamily(Store.EVENTS), key) != null) {
                continue;
            }
            Event e = a.events().get(i);
            long position = lastPosition(append.keyspace()) + 1;
            batch.put(store.systemFamily(Store.EVENTS), key, EventCodec.encode(new StoredEvent(append.key(), version, e,
                    append.origin(), append.seq(), append.hlc(), position)));
            batch.put(store.systemFamily(Store.EVENT_IDS), eventIdKey(append.keyspace(), append.key(), e.id()), longBytes(version));
            batch.put(store.systemFamily(Store.ALL), positionKey(append.keyspace(), position), key);
            batch.put(store.systemFamily(Store.META), positionMetaKey(append.keyspace()), longBytes(position));
            lastPositions.put(append.keyspace(), position);
        }
    }

    /**
     * Adds a write of a keyspace that is not an event log (nor the canaries') to the keyspace's change feed: the next
     * position of its {@code $all} family names the write (origin and sequence); the write itself
     * stays in the replication log, as long as the log keeps it.
     */
    private void putChange(WriteBatch batch, Entry e) throws RocksDBException {
        if (eventLogs.test(e.keyspace()) || io.meridian.core.canary.Canary.isCanary(e.keyspace())) {
            // Canaries have no change feed: a beat a second per region would grow it forever for nobody.
            return;
        }
        long position = lastPosition(e.keyspace()) + 1;
        byte[] origin = e.origin().getBytes(StandardCharsets.UTF_8);
        batch.put(store.systemFamily(Store.ALL), positionKey(e.keyspace(), position),
                ByteBuffer.allocate(4 + origin.length + 8).putInt(origin.length).put(origin).putLong(e.seq()).array());
        batch.put(store.systemFamily(Store.META), positionMetaKey(e.keyspace()), longBytes(position));
        lastPositions.put(e.keyspace(), position);
    }

    /** A write in a keyspace's change feed, at its position. */
    public record Change(long position, Entry entry) {
    }

    /** The change feed no longer reaches back to a position: the replication log dropped the writes before {@code first}. */
    public static final class FeedExpired extends RuntimeException {
        private final long first;

        public FeedExpired(long position, long first) {
            super("position " + position + " is no longer kept");
            this.first = first;
        }

        /** The oldest position the feed still has (0 when none). */
        public long first() {
            return first;
        }
    }

    /**
     * The writes of a keyspace (not an event log) in this region's apply order, from position
     * {@code from}, at most {@code limit}.
     *
     * @throws FeedExpired when the first position asked for names a write the log no longer keeps
     */
    public List<Change> changes(String keyspace, long from, int limit) {
        List<Change> out = new ArrayList<>();
        byte[] prefix = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.ALL))) {
            for (it.seek(positionKey(keyspace, Math.max(from, 0))); it.isValid() && out.size() < limit
                    && startsWith(it.key(), prefix); it.next()) {
                long position = ByteBuffer.wrap(it.key(), prefix.length, 8).getLong();
                ByteBuffer ref = ByteBuffer.wrap(it.value());
                byte[] origin = new byte[ref.getInt()];
                ref.get(origin);
                String o = new String(origin, StandardCharsets.UTF_8);
                long seq = ref.getLong();
                List<Entry> logged = seq >= logStart(o) ? readLog(o, seq, 1) : List.of();
                if (logged.isEmpty()) {
                    if (out.isEmpty()) {
                        throw new FeedExpired(position, firstKept(keyspace, position));
                    }
                    break;
                }
                out.add(new Change(position, logged.getFirst()));
            }
        }
        return out;
    }

    /** The first position after {@code expired} whose write the log still keeps, 0 for none. */
    private long firstKept(String keyspace, long expired) {
        byte[] prefix = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.ALL))) {
            for (it.seek(positionKey(keyspace, expired + 1)); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                ByteBuffer ref = ByteBuffer.wrap(it.value());
                byte[] origin = new byte[ref.getInt()];
                ref.get(origin);
                if (ref.getLong() >= logStart(new String(origin, StandardCharsets.UTF_8))) {
                    return ByteBuffer.wrap(it.key(), prefix.length, 8).getLong();
                }
            }
        }
        return 0;
    }

    /** Takes out of the batch's store the events a write lost in a failover appended (those still stamped with it). */
    private void dropEvents(WriteBatch batch, Entry lost) throws RocksDBException {
        if (!eventLogs.test(lost.keyspace()) || lost.isTombstone()) {
            return;
        }
        Append a = EventCodec.decode(lost.value());
        for (int i = 0; i < a.events().size(); i++) {
            byte[] key = eventKey(lost.keyspace(), lost.key(), a.firstVersion() + i);
            byte[] held = store.db().get(store.systemFamily(Store.EVENTS), key);
            if (held == null) {
                continue;
            }
            StoredEvent s = EventCodec.decodeStored(lost.key(), held);
            if (s.origin().equals(lost.origin()) && s.seq() == lost.seq()) {
                batch.delete(store.systemFamily(Store.EVENTS), key);
                batch.delete(store.systemFamily(Store.EVENT_IDS), eventIdKey(lost.keyspace(), lost.key(), s.event().id()));
                batch.delete(store.systemFamily(Store.ALL), positionKey(lost.keyspace(), s.position()));
                long dropped = eventsDropped(lost.keyspace()) + 1;
                batch.put(store.systemFamily(Store.META), droppedMetaKey(lost.keyspace()), longBytes(dropped));
                droppedEvents.put(lost.keyspace(), dropped);
            }
        }
    }

    /**
     * How many events this region ever took out of a keyspace's event store (writes lost in a
     * failover): read models folded before such a removal must be folded again.
     */
    public long eventsDropped(String keyspace) {
        return droppedEvents.computeIfAbsent(keyspace, k -> {
            try {
                byte[] v = store.db().get(store.systemFamily(Store.META), droppedMetaKey(k));
                return v == null ? 0L : ByteBuffer.wrap(v).getLong();
            } catch (RocksDBException e) {
                throw new StorageException("read of " + k + "'s dropped events failed: " + e.getMessage(), e);
            }
        });
    }

    private static byte[] droppedMetaKey(String keyspace) {
        return ("events-dropped\0" + keyspace).getBytes(StandardCharsets.UTF_8);
    }

    /** The highest position of a keyspace's {@code $all} (an event log) or change feed (the others) so far (0 for none). */
    public long lastPosition(String keyspace) {
        return lastPositions.computeIfAbsent(keyspace, k -> {
            try {
                byte[] v = store.db().get(store.systemFamily(Store.META), positionMetaKey(k));
                return v == null ? 0L : ByteBuffer.wrap(v).getLong();
            } catch (RocksDBException e) {
                throw new StorageException("read of the positions of " + k + " failed: " + e.getMessage(), e);
            }
        });
    }

    /**
     * A stream's events from version {@code from}, at most {@code limit}: upwards when
     * {@code forward}, else downwards.
     */
    public List<StoredEvent> events(String keyspace, String stream, long from, int limit, boolean forward) {
        List<StoredEvent> out = new ArrayList<>();
        byte[] prefix = streamPrefix(keyspace, stream);
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.EVENTS))) {
            if (forward) {
                for (it.seek(eventKey(keyspace, stream, Math.max(from, 0))); it.isValid() && out.size() < limit
                        && startsWith(it.key(), prefix); it.next()) {
                    out.add(EventCodec.decodeStored(stream, it.value()));
                }
            } else {
                for (it.seekForPrev(eventKey(keyspace, stream, from)); it.isValid() && out.size() < limit
                        && startsWith(it.key(), prefix); it.prev()) {
                    out.add(EventCodec.decodeStored(stream, it.value()));
                }
            }
        }
        return out;
    }

    /** The keyspace's events in this region's order ({@code $all}), from position {@code from}, at most {@code limit}. */
    public List<StoredEvent> all(String keyspace, long from, int limit) {
        List<StoredEvent> out = new ArrayList<>();
        byte[] prefix = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.ALL))) {
            for (it.seek(positionKey(keyspace, Math.max(from, 0))); it.isValid() && out.size() < limit
                    && startsWith(it.key(), prefix); it.next()) {
                byte[] eventKey = it.value();
                byte[] held = store.db().get(store.systemFamily(Store.EVENTS), eventKey);
                if (held == null) {
                    throw new IllegalStateException("position " + ByteBuffer.wrap(it.key(), prefix.length, 8).getLong()
                            + " of " + keyspace + " names an event the store does not hold");
                }
                out.add(EventCodec.decodeStored(streamOf(keyspace, eventKey), held));
            }
        } catch (RocksDBException e) {
            throw new StorageException("read of " + keyspace + "/$all failed: " + e.getMessage(), e);
        }
        return out;
    }

    /** The version an event id has in a stream, if the stream holds it here. */
    public java.util.OptionalLong eventVersion(String keyspace, String stream, String id) {
        try {
            byte[] v = store.db().get(store.systemFamily(Store.EVENT_IDS), eventIdKey(keyspace, stream, id));
            return v == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(ByteBuffer.wrap(v).getLong());
        } catch (RocksDBException e) {
            throw new StorageException("read of an event id of " + keyspace + "/" + stream + " failed: " + e.getMessage(), e);
        }
    }

    /** keyspace \0 length(int) stream: a stream's events sort together, whatever bytes its name holds. */
    private static byte[] streamPrefix(String keyspace, String stream) {
        byte[] ks = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] st = stream.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(ks.length + 4 + st.length).put(ks).putInt(st.length).put(st).array();
    }

    private static byte[] eventKey(String keyspace, String stream, long version) {
        byte[] prefix = streamPrefix(keyspace, stream);
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(version).array();
    }

    private static String streamOf(String keyspace, byte[] eventKey) {
        int at = (keyspace + "\0").getBytes(StandardCharsets.UTF_8).length;
        int length = ByteBuffer.wrap(eventKey, at, 4).getInt();
        return new String(eventKey, at + 4, length, StandardCharsets.UTF_8);
    }

    private static byte[] eventIdKey(String keyspace, String stream, String id) {
        byte[] prefix = streamPrefix(keyspace, stream);
        byte[] i = id.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(prefix.length + i.length).put(prefix).put(i).array();
    }

    private static byte[] positionKey(String keyspace, long position) {
        byte[] prefix = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(position).array();
    }

    private static byte[] positionMetaKey(String keyspace) {
        return ("all-position\0" + keyspace).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void replace(String keyspace, String key, Optional<KeyState> state, List<Conflict> conflicts) {
        writeState(keyspace, key, state, conflicts, store.syncWrite());
    }

    /** Sets (or removes) a key's state without a log entry, recording conflicts, in one batch. */
    private void writeState(String keyspace, String key, Optional<KeyState> state, List<Conflict> conflicts, WriteOptions options) {
        try (WriteBatch batch = new WriteBatch()) {
            for (Conflict c : conflicts) {
                if (c.isLoss()) {
                    dropEvents(batch, c.loser());
                }
            }
            if (state.isPresent()) {
                putState(batch, state.get());
                putEvents(batch, state.get().winner());
            } else {
                batch.delete(store.family(keyspace), key.getBytes(StandardCharsets.UTF_8));
                batch.delete(store.systemFamily(Store.TOMBSTONES), tombstoneKey(keyspace, key));
            }
            long seq = putConflicts(batch, conflicts);
            store.db().write(options, batch);
            conflictSeq = seq;
        } catch (RocksDBException e) {
            throw new StorageException("setting the state of " + keyspace + "/" + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void raiseWatermarks(VersionVector to, Hlc high) {
        synchronized (logStartsLock) { // an origin whose log is empty starts after its watermark
            raiseWatermarksLocked(to, high);
            logStarts.clear();
            tails.values().forEach(LogTail::clear);
        }
    }

    private void raiseWatermarksLocked(VersionVector to, Hlc high) {
        VersionVector merged = watermarks.merge(to);
        Hlc newHigh = high.isAfter(highest) ? high : highest;
        try (WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<String, Long> e : merged.seqs().entrySet()) {
                batch.put(store.systemFamily(Store.WATERMARKS), e.getKey().getBytes(StandardCharsets.UTF_8), longBytes(e.getValue()));
            }
            batch.put(store.systemFamily(Store.META), HLC_KEY,
                    ByteBuffer.allocate(12).putLong(newHigh.physicalMillis()).putInt(newHigh.logical()).array());
            store.db().write(store.syncWrite(), batch);
            watermarks = merged;
            highest = newHigh;
        } catch (RocksDBException e) {
            throw new StorageException("raising watermarks to " + to + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * A consistent snapshot of the replicated keyspaces: every sibling of every key, in chunks of
     * about {@code chunkEntries}, read at one RocksDB sequence number together with the
     * watermarks and the HLC high-water mark it matches.
     */
    public Snapshot snapshot(List<String> keyspaces, int chunkEntries, java.util.function.Consumer<List<Entry>> chunks) {
        org.rocksdb.Snapshot snap = store.db().getSnapshot();
        try (ReadOptions options = new ReadOptions().setSnapshot(snap)) {
            Map<String, Long> seqs = new TreeMap<>();
            try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.WATERMARKS), options)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    seqs.put(new String(it.key(), StandardCharsets.UTF_8), ByteBuffer.wrap(it.value()).getLong());
                }
            }
            byte[] hlc = store.db().get(store.systemFamily(Store.META), options, HLC_KEY);
            Hlc high = hlc == null ? Hlc.ZERO : new Hlc(ByteBuffer.wrap(hlc).getLong(), ByteBuffer.wrap(hlc).getInt(8));
            long entries = 0;
            for (String keyspace : keyspaces) {
                List<Entry> chunk = new ArrayList<>();
                try (RocksIterator it = store.db().newIterator(store.family(keyspace), options)) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        KeyState state = Codec.decodeState(it.value());
                        if (eventLogs.test(keyspace)) {
                            entries += slices(options, state.winner(), chunkEntries, chunks);
                        }
                        chunk.addAll(state.siblings());
                        if (chunk.size() >= chunkEntries) {
                            chunks.accept(chunk);
                            entries += chunk.size();
                            chunk = new ArrayList<>();
                        }
                    }
                }
                if (!chunk.isEmpty()) {
                    chunks.accept(chunk);
                    entries += chunk.size();
                }
            }
            return new Snapshot(new VersionVector(seqs), high, entries);
        } catch (RocksDBException e) {
            throw new StorageException("snapshot failed: " + e.getMessage(), e);
        } finally {
            store.db().releaseSnapshot(snap);
        }
    }

    /**
     * Sends a stream's events as slices (appends of at most {@code chunkEntries} events, marked
     * {@link EventCodec#SLICE_CONTENT_TYPE} and stamped with the stream's latest write), read at
     * the snapshot's sequence number. @return how many slices
     */
    private long slices(ReadOptions options, Entry head, int chunkEntries, java.util.function.Consumer<List<Entry>> chunks) {
        if (head.isTombstone()) {
            return 0;
        }
        byte[] prefix = streamPrefix(head.keyspace(), head.key());
        long sent = 0;
        List<Event> slice = new ArrayList<>();
        long first = 0;
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.EVENTS), options)) {
            for (it.seek(prefix); ; it.next()) {
                boolean more = it.isValid() && startsWith(it.key(), prefix);
                StoredEvent e = more ? EventCodec.decodeStored(head.key(), it.value()) : null;
                if (!slice.isEmpty() && (!more || slice.size() >= chunkEntries || e.version() != first + slice.size())) {
                    chunks.accept(List.of(new Entry(head.origin(), head.seq(), head.hlc(), head.keyspace(), head.key(),
                            Entry.Op.PUT, EventCodec.encode(new Append(first, slice)), EventCodec.SLICE_CONTENT_TYPE,
                            head.home(), head.context())));
                    sent++;
                    slice = new ArrayList<>();
                }
                if (!more) {
                    return sent;
                }
                if (slice.isEmpty()) {
                    first = e.version();
                }
                slice.add(e.event());
            }
        }
    }

    /** What a snapshot covers. */
    public record Snapshot(VersionVector watermarks, Hlc highest, long entries) {
    }

    /** True when this store has never been written to: a new region, or one whose data was lost. */
    public boolean isEmpty() {
        return watermarks.seqs().isEmpty();
    }

    /** Without group commit, syncs the write-ahead log; with it, nothing: the owner's {@link #awaitDurable} does. */
    @Override
    public void sync() {
        if (!groupCommit) {
            syncWal();
        }
    }

    private void syncWal() {
        try {
            store.db().flushWal(true);
        } catch (RocksDBException e) {
            throw new StorageException("WAL sync failed: " + e.getMessage(), e);
        }
    }

    /** The ticket of the latest commit (group commit): {@link #awaitDurable} of it waits for that commit and every earlier one. */
    public long written() {
        synchronized (durability) {
            return writtenTickets;
        }
    }

    /**
     * Returns once the commit with {@code ticket}, and every earlier one, is durable: the first
     * waiter syncs the write-ahead log for every commit written by then while later ones wait for
     * it, then for the next sync if they are not covered (group commit). Without group commit,
     * every commit already was.
     *
     * @throws StorageException the sync failed (the commits stay unshipped; a later sync may cover them)
     */
    public void awaitDurable(long ticket) {
        if (!groupCommit) {
            return;
        }
        while (true) {
            long target;
            synchronized (durability) {
                while (durableTickets < ticket && syncing) {
                    try {
                        durability.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new StorageException("interrupted waiting for the write-ahead log's sync", e);
                    }
                }
                if (durableTickets >= ticket) {
                    return;
                }
                syncing = true;
                target = writtenTickets;
            }
            boolean synced = false;
            try {
                syncWal();
                synced = true;
            } finally {
                synchronized (durability) {
                    syncing = false;
                    if (synced) {
                        durableTickets = Math.max(durableTickets, target);
                        while (!pending.isEmpty() && pending.peekFirst().ticket() <= target) {
                            pending.removeFirst();
                        }
                    }
                    durability.notifyAll();
                }
            }
        }
    }

    /** A caller of {@link #whenDurable} waiting for the commit with {@code ticket}. */
    private record Waiter(long ticket, java.util.concurrent.CompletableFuture<Void> durable) {
    }

    /** The callers of {@link #whenDurable} not yet answered (guarded by {@link #durability}). */
    private final List<Waiter> waiters = new ArrayList<>();
    /** Syncs for {@link #whenDurable}'s callers; started by the first. */
    private Thread syncer;
    /** Completes {@link #whenDurable}'s futures, one sync's after the other, while the syncer goes on to the next sync. */
    private java.util.concurrent.ExecutorService answerer;
    private boolean closed;

    /**
     * As {@link #awaitDurable}, without holding the caller's thread: the future completes once
     * the commit with {@code ticket}, and every earlier one, is durable (or fails with the sync's
     * {@link StorageException}, or when the store closes first). A thread of this store makes the
     * syncs these callers wait for, taking turns with callers of {@link #awaitDurable} (one fsync
     * covers both); the futures complete on a second thread, in the order their syncs finished, so
     * what callers chain to them must not block. An HTTP thread that waited out a sync this way was
     * one of 64 parked on one monitor and woken together after every fsync (docs/benchmarks.md,
     * issue 12, seventeenth session).
     */
    public java.util.concurrent.CompletableFuture<Void> whenDurable(long ticket) {
        java.util.concurrent.CompletableFuture<Void> durable = new java.util.concurrent.CompletableFuture<>();
        synchronized (durability) {
            if (!groupCommit || durableTickets >= ticket) {
                durable.complete(null);
                return durable;
            }
            if (closed) {
                durable.completeExceptionally(closedError());
                return durable;
            }
            if (syncer == null) {
                answerer = java.util.concurrent.Executors.newSingleThreadExecutor(
                        r -> Thread.ofPlatform().daemon().name("replicated-store-answers").unstarted(r));
                syncer = Thread.ofPlatform().daemon().name("replicated-store-sync").start(this::syncForWaiters);
            }
            waiters.add(new Waiter(ticket, durable));
            durability.notifyAll();
        }
        return durable;
    }

    private StorageException closedError() {
        return new StorageException("the replicated store in " + store.directory() + " is closed", null);
    }

    /** The syncer's loop: syncs through the highest ticket waited for, then hands the covered waiters to the answerer. */
    private void syncForWaiters() {
        while (true) {
            long target = 0;
            synchronized (durability) {
                while (waiters.isEmpty() && !closed) {
                    try {
                        durability.wait();
                    } catch (InterruptedException e) {
                        return; // close(): it fails the waiters left
                    }
                }
                if (closed) {
                    return;
                }
                for (Waiter w : waiters) {
                    target = Math.max(target, w.ticket());
                }
            }
            StorageException failure = null;
            try {
                awaitDurable(target);
            } catch (StorageException e) {
                failure = e;
            }
            List<Waiter> answered = new ArrayList<>();
            synchronized (durability) {
                long covered = failure == null ? durableTickets : target;
                waiters.removeIf(w -> w.ticket() <= covered && answered.add(w));
            }
            StorageException outcome = failure;
            Runnable answer = () -> answered.forEach(w -> {
                if (outcome == null) {
                    w.durable().complete(null);
                } else {
                    w.durable().completeExceptionally(outcome);
                }
            });
            try {
                answerer.execute(answer);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                answer.run();
            }
        }
    }

    /**
     * Stops the thread that syncs for {@link #whenDurable}: the futures it already answered
     * complete, the ones still waiting fail. Commits stay as they are (the {@link Store} is the
     * owner's to close, after this).
     */
    public void close() {
        Thread thread;
        java.util.concurrent.ExecutorService answers;
        synchronized (durability) {
            closed = true;
            thread = syncer;
            answers = answerer;
            durability.notifyAll();
        }
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(10_000);
                answers.shutdown();
                answers.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Waiter> left;
        synchronized (durability) {
            left = new ArrayList<>(waiters);
            waiters.clear();
        }
        left.forEach(w -> w.durable().completeExceptionally(closedError()));
    }

    /**
     * The highest sequence of {@code origin} replication may ship: the watermark, less any commit
     * of that origin not yet durable (group commit).
     */
    @Override
    public long shippable(String origin) {
        long through = watermark(origin); // read first: a commit after this read cannot raise it
        synchronized (durability) {
            for (Pending p : pending) {
                if (p.origin().equals(origin)) {
                    return Math.min(through, p.seq() - 1);
                }
            }
        }
        return through;
    }

    @Override
    public VersionVector shippableWatermarks() {
        VersionVector all = watermarks;
        synchronized (durability) {
            if (pending.isEmpty()) {
                return all;
            }
            Map<String, Long> seqs = new TreeMap<>(all.seqs());
            for (Pending p : pending) {
                seqs.computeIfPresent(p.origin(), (origin, seq) -> Math.min(seq, p.seq() - 1));
            }
            return new VersionVector(seqs);
        }
    }

    /** Current entries whose key starts with {@code prefix}, after {@code after}, tombstones skipped; a page of at most {@code limit}. */
    public ScanResult scan(String keyspace, String prefix, Optional<String> after, int limit) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        List<Entry> items = new ArrayList<>();
        ColumnFamilyHandle cf = store.family(keyspace);
        try (ReadOptions options = new ReadOptions(); RocksIterator it = store.db().newIterator(cf, options)) {
            byte[] a = after.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
            it.seek(a != null && Arrays.compareUnsigned(a, p) > 0 ? a : p);
            if (a != null && it.isValid() && Arrays.equals(it.key(), a)) {
                it.next();
            }
            for (; it.isValid() && startsWith(it.key(), p); it.next()) {
                Entry e = Codec.decodeState(it.value()).winner();
                if (e.isTombstone()) {
                    continue;
                }
                if (items.size() == limit) {
                    return new ScanResult(items, Optional.of(items.getLast().key()));
                }
                items.add(e);
            }
        }
        return new ScanResult(items, Optional.empty());
    }

    public record ScanResult(List<Entry> items, Optional<String> next) {
    }

    /** The conflict feed of a keyspace, oldest first: numbered records after {@code afterSeq}. */
    public List<NumberedConflict> conflicts(String keyspace, long afterSeq, int limit) {
        List<NumberedConflict> items = new ArrayList<>();
        byte[] prefix = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.CONFLICTS))) {
            for (it.seek(conflictKey(keyspace, afterSeq + 1)); it.isValid() && items.size() < limit && startsWith(it.key(), prefix); it.next()) {
                long seq = ByteBuffer.wrap(it.key(), prefix.length, 8).getLong();
                items.add(new NumberedConflict(seq, Codec.decodeConflict(it.value())));
            }
        }
        return items;
    }

    public record NumberedConflict(long seq, Conflict conflict) {
    }

    /**
     * Drops the oldest log entries of {@code origin} so that at most {@code keep} remain. Peers
     * that need older ones must be bootstrapped from a snapshot.
     */
    @Override
    public long trimLog(String origin, long keep) {
        synchronized (logStartsLock) {
            long start = logStart(origin);
            long end = watermark(origin) - keep + 1; // exclusive
            if (end <= start) {
                return 0;
            }
            try {
                store.db().deleteRange(store.systemFamily(Store.LOG), logKey(origin, start), logKey(origin, end));
            } catch (RocksDBException e) {
                logStarts.remove(origin);
                throw new StorageException("trim of the log of " + origin + " failed: " + e.getMessage(), e);
            }
            logStarts.put(origin, end);
            dropTail(origin, end);
            return end - start;
        }
    }

    /**
     * Drops the tombstones {@code collectible} accepts, at most {@code max}, and forgets index
     * entries of keys no longer deleted. The caller holds the replica's lock, so no write to
     * these keys runs meanwhile.
     *
     * @return how many tombstones were dropped
     */
    @Override
    public int collectTombstones(java.util.function.Predicate<Entry> collectible, int max) {
        int dropped = 0;
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.TOMBSTONES));
             WriteBatch batch = new WriteBatch()) {
            for (it.seekToFirst(); it.isValid() && dropped < max; it.next()) {
                String id = new String(it.key(), StandardCharsets.UTF_8);
                int zero = id.indexOf('\0');
                String keyspace = id.substring(0, zero);
                String key = id.substring(zero + 1);
                Optional<KeyState> current = state(keyspace, key);
                if (current.isEmpty() || !current.get().winner().isTombstone()) {
                    batch.delete(store.systemFamily(Store.TOMBSTONES), it.key());
                } else if (current.get().siblings().size() == 1 && collectible.test(current.get().winner())) {
                    batch.delete(store.family(keyspace), key.getBytes(StandardCharsets.UTF_8));
                    batch.delete(store.systemFamily(Store.TOMBSTONES), it.key());
                    dropped++;
                }
            }
            if (batch.count() > 0) {
                store.db().write(bufferedWrite, batch);
            }
        } catch (RocksDBException e) {
            throw new StorageException("tombstone collection failed: " + e.getMessage(), e);
        }
        return dropped;
    }

    /** Tombstones waiting to be collected. */
    public long tombstones() {
        long n = 0;
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.TOMBSTONES))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Forgets {@code origin}'s log entries up to {@code seq}: after a snapshot raised the
     * watermark past entries this log never held, the log must not keep a gap.
     */
    @Override
    public void dropLogThrough(String origin, long seq) {
        synchronized (logStartsLock) {
            logStarts.remove(origin);
            dropTail(origin, seq + 1);
            try {
                store.db().deleteRange(store.systemFamily(Store.LOG), logKey(origin, 0), logKey(origin, seq + 1));
            } catch (RocksDBException e) {
                throw new StorageException("dropping the log of " + origin + " failed: " + e.getMessage(), e);
            }
        }
    }

    private void dropTail(String origin, long below) {
        LogTail tail = tails.get(origin);
        if (tail != null) {
            tail.dropBelow(below);
        }
    }

    private static byte[] tombstoneKey(String keyspace, String key) {
        return (keyspace + "\0" + key).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] logPrefix(String origin) {
        return (origin + "\0").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] logKey(String origin, long seq) {
        byte[] prefix = logPrefix(origin);
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(seq).array();
    }

    private static byte[] conflictKey(String keyspace, long seq) {
        byte[] prefix = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(seq).array();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
