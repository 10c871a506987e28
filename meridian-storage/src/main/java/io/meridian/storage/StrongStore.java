package io.meridian.storage;

import io.meridian.core.txn.TxnEvaluator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 */
public final class StrongStore {
    private final Store store;
    private final String keyspace;
    private final byte[] appliedKey;
    private final WriteOptions buffered = new WriteOptions().setSync(false);

    public StrongStore(Store store, String keyspace) {
        this.store = store;
        this.keyspace = keyspace;
        this.appliedKey = ("strong-applied:" + keyspace).getBytes(StandardCharsets.UTF_8);
        store.family(keyspace); // fails now if the keyspace has no column family
    }

    /** The last applied log position: {term, index}, {0, -1} before any. */
    public long[] applied() {
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
            batch.put(store.systemFamily(Store.META), appliedKey, ByteBuffer.allocate(16).putLong(term).putLong(index).array());
            store.db().write(buffered, batch);
        } catch (RocksDBException e) {
            throw new StorageException("apply of log entry " + index + " to " + keyspace + " failed: " + e.getMessage(), e);
        }
    }
}
