package io.meridian.storage;

import io.meridian.core.txn.TxnEvaluator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A strong keyspace's state-machine storage: values with the consensus log index that wrote
 * them as their version, in the keyspace's column family, and the last applied log position in
 * {@code _meta}, written in the same batch. The consensus log is the durable record, so batches
 * are not synced: after a crash, entries past the recorded position are applied again, and
 * entries at or before it are skipped.
 *
 * <p><b>Requests applied once.</b> A client that loses the answer to a proposal (its leader died)
 * sends it again, and Raft may then log it twice. Each entry names its request; the store keeps
 * the replies of the requests of the last {@link #REQUESTS_KEPT} entries, keyed by log index and
 * place in the entry (an entry may hold a batch of requests) in {@code _meta} and written in the
 * entry's batch, so a second entry of the same request gets the first one's reply and changes
 * nothing (Raft dissertation, section 6.3). Stores written before batches keyed them by log index
 * alone: those keys still read, as older positions.
 */
public final class StrongStore {
    private final Store store;
    private final String keyspace;
    private final byte[] appliedKey;
    private final WriteOptions buffered = new WriteOptions().setSync(false);
    /** The replies of the requests of this many latest entries are kept for retries (about 100 bytes each). */
    public static final int REQUESTS_KEPT = 100_000;
    private final byte[] requestPrefix;
    /** Request id to position (log index x {@link #REQUESTS_PER_ENTRY} + place) and back, for the kept replies; loaded on first use. */
    private java.util.Map<java.util.UUID, Long> requestIndex;
    private final java.util.TreeMap<Long, java.util.UUID> requestsByIndex = new java.util.TreeMap<>();
    /** Changes kept in the keyspace's change feed; older ones are dropped. */
    public static final long CHANGES_KEPT = 1_000_000;
    private final byte[] feedPositionKey;
    private final byte[] feedPrefix;
    private long feedPosition = -1;
    private final Object applied = new Object();
    /**
     * The last applied log position, {term, index}: read once at start, then kept by the writes
     * below (this object is the only writer of it). The apply thread reads it for every entry, and
     * a RocksDB read each time was 1-2 % of a follower's CPU under strong writes.
     */
    private volatile long[] appliedPosition;
    private volatile boolean closed;

    public StrongStore(Store store, String keyspace) {
        this.store = store;
        this.keyspace = keyspace;
        this.appliedKey = ("strong-applied:" + keyspace).getBytes(StandardCharsets.UTF_8);
        this.requestPrefix = ("strong-request:" + keyspace + ":").getBytes(StandardCharsets.UTF_8);
        this.feedPositionKey = ("strong-feed:" + keyspace).getBytes(StandardCharsets.UTF_8);
        this.feedPrefix = (keyspace + "\0").getBytes(StandardCharsets.UTF_8);
        store.family(keyspace); // fails now if the keyspace has no column family
        this.appliedPosition = readApplied();
    }

    /** One committed change of the keyspace's change feed: its position here, the log index that made it, the key, the value (empty: deleted). */
    public record Change(long position, long index, String key, Optional<String> value) {
    }

    private long feedPosition() throws RocksDBException {
        if (feedPosition < 0) {
            byte[] v = store.db().get(store.systemFamily(Store.META), feedPositionKey);
            feedPosition = v == null ? 0 : ByteBuffer.wrap(v).getLong();
        }
        return feedPosition;
    }

    private byte[] feedKey(long position) {
        return ByteBuffer.allocate(feedPrefix.length + 8).put(feedPrefix).putLong(position).array();
    }

    /** The last position of the change feed (0 for none). */
    public synchronized long lastChange() {
        try {
            return feedPosition();
        } catch (RocksDBException e) {
            throw new StorageException("read of the change feed of " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The keyspace's committed changes in log order from position {@code from}, at most
     * {@code limit}; the oldest are dropped once more than {@link #CHANGES_KEPT} are kept.
     *
     * @throws ReplicatedStore.FeedExpired when {@code from} is older than the oldest kept
     */
    public java.util.List<Change> changes(long from, int limit) {
        java.util.List<Change> out = new java.util.ArrayList<>();
        try (org.rocksdb.RocksIterator it = store.db().newIterator(store.systemFamily(Store.ALL))) {
            it.seek(feedKey(Math.max(from, 0)));
            for (; it.isValid() && out.size() < limit && it.key().length == feedPrefix.length + 8
                    && java.util.Arrays.equals(it.key(), 0, feedPrefix.length, feedPrefix, 0, feedPrefix.length); it.next()) {
                long position = ByteBuffer.wrap(it.key(), feedPrefix.length, 8).getLong();
                if (out.isEmpty() && position > Math.max(from, 1)) {
                    throw new ReplicatedStore.FeedExpired(from, position);
                }
                ByteBuffer b = ByteBuffer.wrap(it.value());
                long index = b.getLong();
                boolean present = b.get() == 1;
                byte[] key = new byte[b.getInt()];
                b.get(key);
                byte[] value = new byte[b.remaining()];
                b.get(value);
                out.add(new Change(position, index, new String(key, StandardCharsets.UTF_8),
                        present ? Optional.of(new String(value, StandardCharsets.UTF_8)) : Optional.empty()));
            }
        }
        return out;
    }

    /** The last applied log index, waiting until it differs from {@code seen} (at most {@code max}) or the store closes. */
    public long awaitApplied(long seen, java.time.Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (applied) {
            while (!closed && applied()[1] == seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                applied.wait(Math.max(1, left / 1_000_000));
            }
        }
        return applied()[1];
    }

    /** Ends the waits of {@link #awaitApplied}: the region is stopping. */
    public void close() {
        closed = true;
        synchronized (applied) {
            applied.notifyAll();
        }
    }

    public boolean closed() {
        return closed;
    }

    /** The last applied log position: {term, index}, {0, -1} before any. */
    public long[] applied() {
        return appliedPosition.clone();
    }

    private long[] readApplied() {
        try {
            byte[] bytes = store.db().get(store.systemFamily(Store.META), appliedKey);
            if (bytes == null) {
                return new long[] {0, -1};
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            return new long[] {b.getLong(), b.getLong()};
        } catch (RocksDBException e) {
            throw new StorageException("read of the applied index of " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    public Optional<TxnEvaluator.Stored> get(String key) {
        try {
            byte[] bytes = store.db().get(store.family(keyspace), key.getBytes(StandardCharsets.UTF_8));
            if (bytes == null) {
                return Optional.empty();
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            long version = b.getLong();
            return Optional.of(new TxnEvaluator.Stored(new String(bytes, 8, bytes.length - 8, StandardCharsets.UTF_8), version));
        } catch (RocksDBException e) {
            throw new StorageException("read of " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    /** A key with its value and version, as a scan lists it. */
    public record Item(String key, String value, long version) {
    }

    /** This replica's keys starting with {@code prefix}, after {@code after}, at most {@code limit}; {@code next} when more remain. */
    public java.util.List<Item> scan(String prefix, Optional<String> after, int limit, String[] next) {
        java.util.List<Item> items = new java.util.ArrayList<>();
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        try (org.rocksdb.RocksIterator it = store.db().newIterator(store.family(keyspace))) {
            byte[] a = after.map(x -> x.getBytes(StandardCharsets.UTF_8)).orElse(null);
            it.seek(a != null && java.util.Arrays.compareUnsigned(a, p) > 0 ? a : p);
            if (a != null && it.isValid() && java.util.Arrays.equals(it.key(), a)) {
                it.next();
            }
            for (; it.isValid() && Store.startsWith(it.key(), p); it.next()) {
                if (items.size() == limit) {
                    next[0] = items.getLast().key();
                    return items;
                }
                byte[] v = it.value();
                items.add(new Item(new String(it.key(), StandardCharsets.UTF_8),
                        new String(v, 8, v.length - 8, StandardCharsets.UTF_8), ByteBuffer.wrap(v).getLong()));
            }
        }
        return items;
    }

    /** Every key of the keyspace, in order: what a snapshot holds. */
    public void forEach(java.util.function.Consumer<Item> each) {
        try (org.rocksdb.RocksIterator it = store.db().newIterator(store.family(keyspace))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] v = it.value();
                each.accept(new Item(new String(it.key(), StandardCharsets.UTF_8),
                        new String(v, 8, v.length - 8, StandardCharsets.UTF_8), ByteBuffer.wrap(v).getLong()));
            }
        }
    }

    /** Replaces the whole keyspace with a snapshot's items, at the snapshot's log position, in one batch. */
    public void replaceAll(java.util.List<Item> items, long term, long index) {
        try (WriteBatch batch = new WriteBatch()) {
            try (org.rocksdb.RocksIterator it = store.db().newIterator(store.family(keyspace))) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    batch.delete(store.family(keyspace), it.key());
                }
            }
            for (Item item : items) {
                byte[] value = item.value().getBytes(StandardCharsets.UTF_8);
                batch.put(store.family(keyspace), item.key().getBytes(StandardCharsets.UTF_8),
                        ByteBuffer.allocate(8 + value.length).putLong(item.version()).put(value).array());
            }
            batch.put(store.systemFamily(Store.META), appliedKey, ByteBuffer.allocate(16).putLong(term).putLong(index).array());
            store.db().write(store.syncWrite(), batch);
            appliedPosition = new long[] {term, index};
            synchronized (applied) {
                applied.notifyAll();
            }
        } catch (RocksDBException e) {
            throw new StorageException("installing a snapshot of " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    /** Makes every applied entry durable (before a snapshot lets the consensus log be purged). */
    public void sync() {
        try {
            store.db().flushWal(true);
        } catch (RocksDBException e) {
            throw new StorageException("WAL sync failed: " + e.getMessage(), e);
        }
    }

    /** Applies one log entry's writes (empty: delete) and records its position, atomically. */
    public void apply(long term, long index, Map<String, Optional<String>> writes) {
        apply(term, index, writes, List.of());
    }

    /** A request an entry applied, and its reply (kept to answer a client's retry of it the same way). */
    public record Answered(java.util.UUID requestId, byte[] reply) {
    }

    /**
     * Requests one log entry can answer at most (a batch of transactions): each is kept at
     * position {@code index * REQUESTS_PER_ENTRY + its place in the entry}.
     */
    public static final int REQUESTS_PER_ENTRY = 1024;

    /**
     * As {@link #apply(long, long, Map)}, and records each of {@code answered} (the requests of a
     * batch entry, in order) with its reply, in the same batch.
     */
    public synchronized void apply(long term, long index, Map<String, Optional<String>> writes, List<Answered> answered) {
        if (answered.size() > REQUESTS_PER_ENTRY) {
            throw new IllegalArgumentException(answered.size() + " requests in one entry; at most " + REQUESTS_PER_ENTRY);
        }
        loadRequests();
        try (WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<String, Optional<String>> w : writes.entrySet()) {
                byte[] key = w.getKey().getBytes(StandardCharsets.UTF_8);
                if (w.getValue().isPresent()) {
                    byte[] value = w.getValue().get().getBytes(StandardCharsets.UTF_8);
                    batch.put(store.family(keyspace), key, ByteBuffer.allocate(8 + value.length).putLong(index).put(value).array());
                } else {
                    batch.delete(store.family(keyspace), key);
                }
            }
            for (int i = 0; i < answered.size(); i++) {
                Answered a = answered.get(i);
                batch.put(store.systemFamily(Store.META), requestKey(index * REQUESTS_PER_ENTRY + i), ByteBuffer.allocate(16 + a.reply().length)
                        .putLong(a.requestId().getMostSignificantBits()).putLong(a.requestId().getLeastSignificantBits())
                        .put(a.reply()).array());
            }
            long forgetBelow = requestsByIndex.isEmpty() ? -1 : (index - REQUESTS_KEPT) * REQUESTS_PER_ENTRY;
            boolean forget = !answered.isEmpty() && !requestsByIndex.isEmpty() && requestsByIndex.firstKey() < forgetBelow;
            if (forget) {
                batch.deleteRange(store.systemFamily(Store.META), requestKey(0), requestKey(forgetBelow));
            }
            long position = feedPosition();
            for (Map.Entry<String, Optional<String>> w : writes.entrySet()) {
                byte[] key = w.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] value = w.getValue().map(v -> v.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
                position++;
                batch.put(store.systemFamily(Store.ALL), feedKey(position), ByteBuffer.allocate(8 + 1 + 4 + key.length + value.length)
                        .putLong(index).put((byte) (w.getValue().isPresent() ? 1 : 0)).putInt(key.length).put(key).put(value).array());
            }
            if (position != feedPosition) {
                batch.put(store.systemFamily(Store.META), feedPositionKey, ByteBuffer.allocate(8).putLong(position).array());
                if (position / 1_000 != feedPosition / 1_000 && position > CHANGES_KEPT) {
                    batch.deleteRange(store.systemFamily(Store.ALL), feedKey(0), feedKey(position - CHANGES_KEPT));
                }
            }
            batch.put(store.systemFamily(Store.META), appliedKey, ByteBuffer.allocate(16).putLong(term).putLong(index).array());
            store.db().write(buffered, batch);
            feedPosition = position;
            appliedPosition = new long[] {term, index};
            synchronized (applied) {
                applied.notifyAll();
            }
            for (int i = 0; i < answered.size(); i++) {
                requestIndex.put(answered.get(i).requestId(), index * REQUESTS_PER_ENTRY + i);
                requestsByIndex.put(index * REQUESTS_PER_ENTRY + i, answered.get(i).requestId());
            }
            if (forget) {
                var old = requestsByIndex.headMap(forgetBelow);
                old.values().forEach(requestIndex::remove);
                old.clear();
            }
        } catch (RocksDBException e) {
            throw new StorageException("apply of log entry " + index + " to " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    /** The reply recorded for request {@code requestId}, if it was applied (and is still kept). */
    public synchronized Optional<byte[]> reply(java.util.UUID requestId) {
        loadRequests();
        Long index = requestIndex.get(requestId);
        if (index == null) {
            return Optional.empty();
        }
        try {
            byte[] record = store.db().get(store.systemFamily(Store.META), requestKey(index));
            return record == null ? Optional.empty() : Optional.of(java.util.Arrays.copyOfRange(record, 16, record.length));
        } catch (RocksDBException e) {
            throw new StorageException("read of a request's reply in " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    private byte[] requestKey(long index) {
        return ByteBuffer.allocate(requestPrefix.length + 8).put(requestPrefix).putLong(index).array();
    }

    private void loadRequests() {
        if (requestIndex != null) {
            return;
        }
        requestIndex = new java.util.HashMap<>();
        try (org.rocksdb.RocksIterator it = store.db().newIterator(store.systemFamily(Store.META))) {
            for (it.seek(requestPrefix); it.isValid() && Store.startsWith(it.key(), requestPrefix); it.next()) {
                long index = ByteBuffer.wrap(it.key(), requestPrefix.length, 8).getLong();
                ByteBuffer v = ByteBuffer.wrap(it.value());
                java.util.UUID id = new java.util.UUID(v.getLong(), v.getLong());
                requestIndex.put(id, index);
                requestsByIndex.put(index, id);
            }
        }
    }
}
