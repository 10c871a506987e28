package io.meridian.storage;

import io.meridian.core.Keys;
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
 * <p>Every future of a group completes on the writer's thread after the group's write returns,
 * failures of preconditions included (they were decided against writes of the same group): a
 * result never speaks of a state that was not durable. Readers see a write only once it is
 * durable, since RocksDB publishes a synced batch after its fsync. What a future's callers chain
 * to it runs on the writer's thread, so it must not block (an HTTP answer is an asynchronous write).
 */
final class LocalWriter implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LocalWriter.class);
    static final int MAX_GROUP_WRITES = 1_024;
    static final long MAX_GROUP_BYTES = 16L << 20;

    /** A write waiting for its group: {@code value} is null for a delete. */
    record Op(String keyspace, ColumnFamilyHandle cf, byte[] key, byte[] value, String contentType,
              Preconditions conditions, CompletableFuture<Object> result) {
        static Op put(String keyspace, ColumnFamilyHandle cf, byte[] key, byte[] value, String contentType, Preconditions conditions) {
            return new Op(keyspace, cf, key, value, contentType, conditions, new CompletableFuture<>());
        }

        static Op delete(String keyspace, ColumnFamilyHandle cf, byte[] key, Preconditions conditions) {
            return new Op(keyspace, cf, key, null, null, conditions, new CompletableFuture<>());
        }

        long bytes() {
            return key.length + (value == null ? 0 : value.length) + 64L;
        }
    }

    /** A key of one family, as a map key. */
    private record FamilyKey(ColumnFamilyHandle cf, ByteBuffer key) {
    }

    private final Store store;
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    LocalWriter(Store store, String name) {
        this.store = store;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
        thread.start();
    }

    CompletableFuture<Store.PutResult> put(String keyspace, ColumnFamilyHandle cf, byte[] key, byte[] value, String contentType,
                                           Preconditions conditions) {
        return submit(Op.put(keyspace, cf, key, value, contentType, conditions)).thenApply(Store.PutResult.class::cast);
    }

    @SuppressWarnings("unchecked")
    CompletableFuture<Optional<Long>> delete(String keyspace, ColumnFamilyHandle cf, byte[] key, Preconditions conditions) {
        return submit(Op.delete(keyspace, cf, key, conditions)).thenApply(r -> (Optional<Long>) r);
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
            } catch (Throwable t) { // a bug or an Error: answer the group, and keep the writer alive for the next one
                StorageException failure = new StorageException("write of " + group.size() + " local writes failed: " + t, t);
                group.forEach(op -> op.result().completeExceptionally(failure));
                log.error("local writer failed a group of {} writes", group.size(), t);
            }
            group.clear();
        }
        failQueued();
    }

    /** Decides each write of the group, writes the group, then answers every write of it (the writer's thread only). */
    void commit(List<Op> group) {
        Object[] outcomes = new Object[group.size()];
        boolean wrote = false;
        try (WriteBatch batch = new WriteBatch()) {
            Map<FamilyKey, Long> written = new HashMap<>();
            for (int i = 0; i < group.size(); i++) {
                Op op = group.get(i);
                try {
                    FamilyKey fk = new FamilyKey(op.cf(), ByteBuffer.wrap(op.key()));
                    Long pending = written.get(fk);
                    long current = pending != null ? pending : store.currentVersion(op.cf(), op.key());
                    if (!op.conditions().isNone()) {
                        op.conditions().checkOrThrow(Keys.fromBytes(op.key()), current);
                    }
                    if (op.value() == null) {
                        if (current != 0) {
                            batch.delete(op.cf(), op.key());
                            written.put(fk, 0L);
                            wrote = true;
                        }
                        outcomes[i] = current == 0 ? Optional.empty() : Optional.of(current);
                    } else {
                        long version = store.allocateVersion();
                        long modified = store.wallClockMillis();
                        batch.put(op.cf(), op.key(), ValueCodec.encode(version, modified, op.contentType(), op.value()));
                        written.put(fk, version);
                        wrote = true;
                        outcomes[i] = new Store.PutResult(new StoredValue(op.key(), version, modified, op.contentType(), op.value()),
                                current == 0);
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
        for (int i = 0; i < group.size(); i++) {
            if (outcomes[i] instanceof Throwable t) {
                group.get(i).result().completeExceptionally(t);
            } else {
                group.get(i).result().complete(outcomes[i]);
            }
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued();
    }
}
