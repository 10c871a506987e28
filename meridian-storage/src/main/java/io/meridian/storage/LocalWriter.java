package io.meridian.storage;

import io.meridian.core.Keys;
import io.meridian.core.Idempotency;
import io.meridian.core.Preconditions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The writes of local keyspaces, committed in groups by one thread.
 *
 * <p>Callers queue a put or a delete and get a future of its result. The writer takes every write
 * queued by then (at most {@link #MAX_GROUP_WRITES} or {@link #MAX_GROUP_BYTES}), checks each
 * one's preconditions against the stored version or against an earlier write of the same key in
 * the group, gives it a version, and commits the group as one synced {@code WriteBatch}: one call
 * into RocksDB and one fsync for the group. RocksDB groups concurrent synced writes too, but its
 * write-thread protocol wakes every waiting thread once or twice per group, and the HTTP threads
 * each waited out an fsync: a node spent 81-91 µs of CPU per local PUT that way, 40-45 µs this
 * way (docs/benchmarks.md, issue 12, fourth session). Check-and-set is atomic per key because one
 * thread makes every check.
 *
 * <p>Every future of a group completes after the group's write returns, failures of
 * preconditions included (they were decided against writes of the same group): a result never
 * speaks of a state that was not durable. Readers see a write only once it is durable, since
 * RocksDB publishes a synced batch after its fsync. The futures of a group are completed in order
 * on a second thread, the answerer, while the writer goes on to the next group: what callers chain
 * to a future runs there (an HTTP answer's write to its socket), and when the writer completed them
 * itself the next group's fsync waited for every answer of the last one. What is chained must not
 * block.
 */
final class LocalWriter implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LocalWriter.class);
    static final int MAX_GROUP_WRITES = 1_024;
    static final long MAX_GROUP_BYTES = 16L << 20;

    /** A write waiting for its group: {@code value} is null for a delete. */
    record Op(String keyspace, ColumnFamilyHandle cf, byte[] key, byte[] value, String contentType,
              Preconditions conditions, Idempotency idempotency, CompletableFuture<Object> result) {
        static Op put(String keyspace, ColumnFamilyHandle cf, byte[] key, byte[] value, String contentType, Preconditions conditions) {
            return put(keyspace, cf, key, value, contentType, conditions, Idempotency.NONE);
        }

        static Op put(String keyspace, ColumnFamilyHandle cf, byte[] key, byte[] value, String contentType, Preconditions conditions,
                      Idempotency idempotency) {
            return new Op(keyspace, cf, key, value, contentType, conditions, idempotency, new CompletableFuture<>());
        }

        static Op delete(String keyspace, ColumnFamilyHandle cf, byte[] key, Preconditions conditions) {
            return delete(keyspace, cf, key, conditions, Idempotency.NONE);
        }

        static Op delete(String keyspace, ColumnFamilyHandle cf, byte[] key, Preconditions conditions, Idempotency idempotency) {
            return new Op(keyspace, cf, key, null, null, conditions, idempotency, new CompletableFuture<>());
        }

        long bytes() {
            return key.length + (value == null ? 0 : value.length) + 64L;
        }
    }

    /** A key of one family, as a map key. */
    private record FamilyKey(ColumnFamilyHandle cf, ByteBuffer key) {
    }

    private final Store store;
    private final IdempotencyKeys keys;
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Completes the groups' futures, one group after the other, in the order they were written. */
    private final java.util.concurrent.ExecutorService answerer;
    private volatile boolean closed;
    private long lastForget;

    LocalWriter(Store store, String name) {
        this.store = store;
        this.keys = new IdempotencyKeys(store);
        this.answerer = java.util.concurrent.Executors.newSingleThreadExecutor(
                r -> Thread.ofPlatform().daemon().name(name + "-answers").unstarted(r));
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
        thread.start();
    }

    CompletableFuture<Store.PutResult> put(String keyspace, ColumnFamilyHandle cf, byte[] key, byte[] value, String contentType,
                                           Preconditions conditions, Idempotency idempotency) {
        return submit(Op.put(keyspace, cf, key, value, contentType, conditions, idempotency)).thenApply(Store.PutResult.class::cast);
    }

    CompletableFuture<Store.Deleted> delete(String keyspace, ColumnFamilyHandle cf, byte[] key, Preconditions conditions,
                                            Idempotency idempotency) {
        return submit(Op.delete(keyspace, cf, key, conditions, idempotency)).thenApply(Store.Deleted.class::cast);
    }

    private CompletableFuture<Object> submit(Op op) {
        if (closed) {
            op.result().completeExceptionally(closedError());
            return op.result();
        }
        queue.add(op);
        if (closed) { // closed while adding: the writer may have drained already
            failQueued();
        }
        return op.result();
    }

    private StorageException closedError() {
        return new StorageException("the store in " + store.directory() + " is closed", null);
    }

    private void run() {
        List<Op> group = new ArrayList<>();
        while (!closed) {
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            long bytes = group.getFirst().bytes();
            Op next;
            while (group.size() < MAX_GROUP_WRITES && bytes < MAX_GROUP_BYTES && (next = queue.poll()) != null) {
                group.add(next);
                bytes += next.bytes();
            }
            try {
                commit(group);
                forgetOldKeys();
            } catch (Throwable t) { // a bug or an Error: answer the group, and keep the writer alive for the next one
                StorageException failure = new StorageException("write of " + group.size() + " local writes failed: " + t, t);
                group.forEach(op -> op.result().completeExceptionally(failure));
                log.error("local writer failed a group of {} writes", group.size(), t);
            }
            group.clear();
        }
        failQueued();
    }

    /** Every minute at most, between groups: forgets idempotency keys older than the store keeps them (a bounded pass). */
    private void forgetOldKeys() {
        long now = store.wallClockMillis();
        if (now - lastForget < 60_000) {
            return;
        }
        lastForget = now;
        keys.forget(now - store.idempotencyTtlMillis(), 10_000, store.bufferedWrite());
    }

    /**
     * Decides each write of the group and writes the group (the writer's thread only), then hands
     * the answers to the answerer: every write's future completes after this returns, soon.
     */
    void commit(List<Op> group) {
        Object[] outcomes = new Object[group.size()];
        boolean wrote = false;
        try (WriteBatch batch = new WriteBatch()) {
            Map<FamilyKey, Long> written = new HashMap<>();
            Map<String, Replay> keysUsed = new HashMap<>();
            long keysSince = store.wallClockMillis() - store.idempotencyTtlMillis();
            for (int i = 0; i < group.size(); i++) {
                Op op = group.get(i);
                try {
                    String keyId = op.idempotency().isNone() ? null : op.keyspace() + "\0" + op.idempotency().key();
                    if (keyId != null) {
                        // A retry is answered as its first attempt was, before the conditions: that attempt changed the key.
                        Replay earlier = keysUsed.containsKey(keyId) ? keysUsed.get(keyId)
                                : keys.get(op.keyspace(), op.idempotency().key(), keysSince).map(Replay::decode).orElse(null);
                        if (earlier != null) {
                            if (earlier.fingerprint() != op.idempotency().fingerprint() || earlier.delete() != (op.value() == null)) {
                                throw new Idempotency(op.idempotency().key(), earlier.fingerprint(), false).reused(op.keyspace());
                            }
                            outcomes[i] = earlier.outcome(op);
                            continue;
                        }
                    }
                    FamilyKey fk = new FamilyKey(op.cf(), ByteBuffer.wrap(op.key()));
                    Long pending = written.get(fk);
                    long current = pending != null ? pending : store.currentVersion(op.cf(), op.key());
                    if (!op.conditions().isNone()) {
                        op.conditions().checkOrThrow(Keys.fromBytes(op.key()), current);
                    }
                    Replay made;
                    if (op.value() == null) {
                        if (current != 0) {
                            batch.delete(op.cf(), op.key());
                            written.put(fk, 0L);
                            wrote = true;
                        }
                        outcomes[i] = new Store.Deleted(current == 0 ? Optional.empty() : Optional.of(current), false);
                        made = new Replay(true, current, false, op.idempotency().fingerprint());
                    } else {
                        long version = store.allocateVersion();
                        long modified = store.wallClockMillis();
                        batch.put(op.cf(), op.key(), ValueCodec.encode(version, modified, op.contentType(), op.value()));
                        written.put(fk, version);
                        wrote = true;
                        outcomes[i] = new Store.PutResult(new StoredValue(op.key(), version, modified, op.contentType(), op.value()),
                                current == 0);
                        made = new Replay(false, version, current == 0, op.idempotency().fingerprint());
                    }
                    if (keyId != null && (op.value() != null || current != 0)) { // a delete of nothing (404) keeps no key
                        keys.put(batch, op.keyspace(), op.idempotency().key(), store.wallClockMillis(), made.encode());
                        keysUsed.put(keyId, made);
                        wrote = true;
                    }
                } catch (RuntimeException | RocksDBException e) {
                    outcomes[i] = e instanceof RocksDBException r ? storageError(op, r) : e;
                }
            }
            if (wrote) {
                store.db().write(store.syncWrite(), batch);
            }
        } catch (RocksDBException | RuntimeException e) {
            StorageException failure = e instanceof RocksDBException r
                    ? new StorageException("write of " + group.size() + " local writes failed: " + r.getMessage(), r)
                    : new StorageException("write of " + group.size() + " local writes failed: " + e, e);
            group.forEach(op -> op.result().completeExceptionally(failure));
            return;
        }
        List<Op> written = List.copyOf(group); // the caller reuses its list for the next group
        Runnable answer = () -> {
            for (int i = 0; i < written.size(); i++) {
                if (outcomes[i] instanceof Throwable t) {
                    written.get(i).result().completeExceptionally(t);
                } else {
                    written.get(i).result().complete(outcomes[i]);
                }
            }
        };
        try {
            answerer.execute(answer);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            answer.run();
        }
    }

    /** What a write an idempotency key named did: kept with the key, to answer a retry of it. */
    private record Replay(boolean delete, long version, boolean created, long fingerprint) {
        byte[] encode() {
            return ByteBuffer.allocate(18).put((byte) (delete ? 1 : 0)).put((byte) (created ? 1 : 0)).putLong(version)
                    .putLong(fingerprint).array();
        }

        static Replay decode(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            boolean delete = b.get() == 1;
            boolean created = b.get() == 1;
            return new Replay(delete, b.getLong(), created, b.getLong());
        }

        /** The answer to a retry: the version written (no value), or the version deleted. */
        Object outcome(Op op) {
            return delete ? new Store.Deleted(version == 0 ? Optional.empty() : Optional.of(version), true)
                    : new Store.PutResult(new StoredValue(op.key(), version, 0, "", new byte[0]), created, true);
        }
    }

    private static StorageException storageError(Op op, RocksDBException e) {
        return new StorageException((op.value() == null ? "delete in " : "write to ") + op.keyspace() + " failed: " + e.getMessage(), e);
    }

    private void failQueued() {
        Op op;
        while ((op = queue.poll()) != null) {
            op.result().completeExceptionally(closedError());
        }
    }

    /** Stops taking writes, answers the ones queued with an error, and waits for the group in progress. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join();
            answerer.shutdown(); // the groups written are still answered
            answerer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            answerer.shutdown(); // interrupted: no new group can come, and the answerer's thread still ends
        }
        failQueued();
    }
}
