package io.meridian.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The idempotency keys a store keeps, in its meta family: per keyspace and key, the record of the
 * write it named (opaque to this class) and the time of that write; and an index by time, so
 * keys are forgotten oldest first. Records are written in the batch of the write they name, so a
 * write and its key are durable together.
 */
final class IdempotencyKeys {
    private static final byte[] RECORD = "idem:".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BY_TIME = "idem-at:".getBytes(StandardCharsets.UTF_8);

    private final Store store;

    IdempotencyKeys(Store store) {
        this.store = store;
    }

    /** Adds the record of the write {@code idempotencyKey} named, made at {@code millis}, to {@code batch}. */
    void put(WriteBatch batch, String keyspace, String idempotencyKey, long millis, byte[] record) throws RocksDBException {
        byte[] id = id(keyspace, idempotencyKey);
        batch.put(store.systemFamily(Store.META), concat(RECORD, id),
                ByteBuffer.allocate(8 + record.length).putLong(millis).put(record).array());
        batch.put(store.systemFamily(Store.META), timeKey(millis, id), new byte[0]);
    }

    /** The record of the write {@code idempotencyKey} named, if it was made at or after {@code sinceMillis}. */
    Optional<byte[]> get(String keyspace, String idempotencyKey, long sinceMillis) {
        try {
            byte[] held = store.db().get(store.systemFamily(Store.META), concat(RECORD, id(keyspace, idempotencyKey)));
            if (held == null || ByteBuffer.wrap(held).getLong() < sinceMillis) {
                return Optional.empty();
            }
            return Optional.of(Arrays.copyOfRange(held, 8, held.length));
        } catch (RocksDBException e) {
            throw new StorageException("reading idempotency key '" + idempotencyKey + "' failed: " + e.getMessage(), e);
        }
    }

    /**
     * Forgets the keys of writes made before {@code beforeMillis}, oldest first, at most {@code max}.
     * A key used again later keeps its newer record. @return how many were forgotten
     */
    int forget(long beforeMillis, int max, WriteOptions options) {
        int forgotten = 0;
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.META));
             WriteBatch batch = new WriteBatch()) {
            for (it.seek(BY_TIME); it.isValid() && forgotten < max && startsWith(it.key(), BY_TIME); it.next()) {
                byte[] key = it.key();
                long millis = ByteBuffer.wrap(key, BY_TIME.length, 8).getLong();
                if (millis >= beforeMillis) {
                    break;
                }
                byte[] recordKey = concat(RECORD, Arrays.copyOfRange(key, BY_TIME.length + 8, key.length));
                byte[] held = store.db().get(store.systemFamily(Store.META), recordKey);
                if (held != null && ByteBuffer.wrap(held).getLong() == millis) {
                    batch.delete(store.systemFamily(Store.META), recordKey);
                }
                batch.delete(store.systemFamily(Store.META), key);
                forgotten++;
            }
            if (batch.count() > 0) {
                store.db().write(options, batch);
            }
        } catch (RocksDBException e) {
            throw new StorageException("forgetting idempotency keys failed: " + e.getMessage(), e);
        }
        return forgotten;
    }

    private static byte[] id(String keyspace, String idempotencyKey) {
        return (keyspace + "\0" + idempotencyKey).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] timeKey(long millis, byte[] id) {
        return ByteBuffer.allocate(BY_TIME.length + 8 + id.length).put(BY_TIME).putLong(millis).put(id).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
