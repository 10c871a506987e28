package io.meridian.storage;

import io.meridian.core.Keys;
import io.meridian.core.Preconditions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's storage: one RocksDB database, a column family per keyspace and a system family
 * {@code _meta}.
 *
 * <p><b>Durability.</b> Every write goes through the write-ahead log with {@code sync=true}
 * before it is acknowledged; concurrent writers of local keyspaces share one fsync because one
 * thread commits them in groups ({@link LocalWriter}). A process killed with SIGKILL, or a machine
 * that loses power, therefore keeps every write this class returned from.
 *
 * <p><b>Versions.</b> Each write takes a fresh version from a counter that is unique and
 * increasing across the whole store. Versions are handed out in blocks of {@link #VERSION_BLOCK}:
 * the end of the current block is synced to {@code _meta} before any version in it is used, so
 * after a crash the counter restarts above every version ever issued (leaving a gap), without
 * an fsync per version.
 *
 * <p><b>Concurrency.</b> Puts and deletes of local keyspaces are decided and written by one
 * thread, so check-and-set is atomic per key, and wait for their group's fsync; reads take no lock.
 */
public final class Store implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Store.class);

    static final String META = "_meta";
    static final String LOG = "_replog";
    static final String WATERMARKS = "_watermarks";
    static final String CONFLICTS = "_conflicts";
    static final String TOMBSTONES = "_tombstones";
    /** Event-log keyspaces: keyspace, stream, version → event. */
    static final String EVENTS = "_events";
    /** Event-log keyspaces: keyspace, stream, event id → version. */
    static final String EVENT_IDS = "_eventids";
    /**
     * Keyspace, position → in this region's apply order: for an event log, an event (stream and
     * version: its {@code $all}); for the other replicated keyspaces, a write (origin and sequence: its change feed).
     */
    static final String ALL = "_all";
    /** Projections of event-log keyspaces: each region's read models, their positions and snapshots. */
    static final String PROJECTIONS = "_projections";
    private static final List<String> SYSTEM_FAMILIES = List.of(META, LOG, WATERMARKS, CONFLICTS, TOMBSTONES, EVENTS, EVENT_IDS, ALL,
            PROJECTIONS);
    static final long VERSION_BLOCK = 10_000;
    private static final byte[] VERSION_CEILING_KEY = "version-ceiling".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PROBE_KEY = "health-probe".getBytes(StandardCharsets.UTF_8);

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final RocksDB db;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final WriteOptions syncWrite;
    private final WriteOptions bufferedWrite = new WriteOptions().setSync(false);
    private volatile long idempotencyTtlMillis = 24 * 3_600_000L;
    private final Map<String, ColumnFamilyHandle> families;
    private final List<ColumnFamilyHandle> handles;
    private final LocalWriter writer;
    private final LongSupplier wallClockMillis;
    private final Object versionLock = new Object();
    private long nextVersion;
    private long versionCeiling;
    private boolean closed;

    private Store(Path dir, RocksDB db, DBOptions dbOptions, ColumnFamilyOptions cfOptions,
                  List<ColumnFamilyHandle> handles, LongSupplier wallClockMillis) throws RocksDBException {
        this.dir = dir;
        this.db = db;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.handles = handles;
        this.wallClockMillis = wallClockMillis;
        this.syncWrite = new WriteOptions().setSync(true);
        this.families = new HashMap<>();
        for (ColumnFamilyHandle h : handles) {
            families.put(new String(h.getName(), StandardCharsets.UTF_8), h);
        }
        byte[] ceiling = db.get(families.get(META), VERSION_CEILING_KEY);
        this.versionCeiling = ceiling == null ? 0 : ByteBuffer.wrap(ceiling).getLong();
        this.nextVersion = versionCeiling + 1;
        this.writer = new LocalWriter(this, "store-writer-" + dir.getFileName());
    }

    /**
     * Opens (creating if needed) the store in {@code dir} with a column family per keyspace.
     * Families on disk for keyspaces no longer configured are kept, untouched.
     *
     * @throws StorageException naming the directory when RocksDB cannot open it (another
     *                          process holding its lock, permissions, corruption)
     */
    public static Store open(Path dir, Set<String> keyspaces, LongSupplier wallClockMillis) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StorageException("cannot create data directory " + dir + ": " + e.getMessage(), e);
        }
        DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setKeepLogFileNum(3);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        List<String> names = new ArrayList<>();
        names.add("default");
        names.addAll(SYSTEM_FAMILIES);
        try (org.rocksdb.Options listOptions = new org.rocksdb.Options()) {
            for (byte[] existing : RocksDB.listColumnFamilies(listOptions, dir.toString())) {
                String name = new String(existing, StandardCharsets.UTF_8);
                if (!names.contains(name)) {
                    names.add(name);
                    if (!keyspaces.contains(name)) {
                        log.warn("data directory {} holds keyspace '{}', which is not configured; its data is kept", dir, name);
                    }
                }
            }
        } catch (RocksDBException e) {
            throw new StorageException("cannot list keyspaces in " + dir + ": " + e.getMessage(), e);
        }
        keyspaces.stream().sorted().filter(k -> !names.contains(k)).forEach(names::add);
        List<ColumnFamilyDescriptor> descriptors = names.stream()
                .map(n -> new ColumnFamilyDescriptor(n.getBytes(StandardCharsets.UTF_8), cfOptions)).toList();
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            writeOwner(dir);
            return new Store(dir, db, dbOptions, cfOptions, handles, wallClockMillis);
        } catch (RocksDBException e) {
            dbOptions.close();
            cfOptions.close();
            String message = String.valueOf(e.getMessage());
            if (message.contains("/LOCK") || message.contains("lock hold")) {
                throw new StorageException("data directory " + dir + " is in use by another node" + ownerOf(dir)
                        + "; stop it first, or give this node another data directory", e);
            }
            throw new StorageException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The file naming the process that has the directory open, so a second opener can say who. */
    private static final String OWNER_FILE = "OWNER";

    private static void writeOwner(Path dir) {
        try {
            Files.writeString(dir.resolve(OWNER_FILE), ProcessHandle.current().pid() + "\n");
        } catch (java.io.IOException e) {
            log.warn("cannot write {}: {}", dir.resolve(OWNER_FILE), e.toString());
        }
    }

    private static String ownerOf(Path dir) {
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve(OWNER_FILE)).strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .map(p -> " (process " + pid + p.info().command().map(c -> ", " + c).orElse("") + ")").orElse("");
        } catch (java.io.IOException | NumberFormatException e) {
            return "";
        }
    }

    public Path directory() {
        return dir;
    }

    public Optional<StoredValue> get(String keyspace, byte[] key) {
        try {
            byte[] record = db.get(family(keyspace), key);
            return record == null ? Optional.empty() : Optional.of(ValueCodec.decode(key, record));
        } catch (RocksDBException e) {
            throw new StorageException("read of " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * What a put stored, and whether it created the key (rather than replacing a version); when
     * {@code replayed}, the put was a retry of an earlier one with the same idempotency key, and
     * {@code stored} names that write's version (its value is not kept: empty).
     */
    public record PutResult(StoredValue stored, boolean created, boolean replayed) {
        public PutResult(StoredValue stored, boolean created) {
            this(stored, created, false);
        }
    }

    /** What a delete did: the version it deleted (empty: the key did not exist); {@code replayed} as for {@link PutResult}. */
    public record Deleted(Optional<Long> version, boolean replayed) {
    }

    /** How long idempotency keys of local writes are kept (a day unless the deployment says otherwise). */
    public void idempotencyTtl(java.time.Duration ttl) {
        idempotencyTtlMillis = ttl.toMillis();
    }

    long idempotencyTtlMillis() {
        return idempotencyTtlMillis;
    }

    WriteOptions bufferedWrite() {
        return bufferedWrite;
    }

    /** Writes a value durably if {@code conditions} hold (waits for its group's fsync: {@link LocalWriter}). */
    public PutResult put(String keyspace, byte[] key, byte[] value, String contentType, Preconditions conditions) {
        return await(putAsync(keyspace, key, value, contentType, conditions));
    }

    /**
     * Queues a durable write of a value if {@code conditions} hold; the future completes once its
     * group is synced, or fails with the precondition's {@code MeridianException} or a
     * {@link StorageException}.
     */
    public java.util.concurrent.CompletableFuture<PutResult> putAsync(String keyspace, byte[] key, byte[] value, String contentType,
                                                                      Preconditions conditions) {
        return writer.put(keyspace, family(keyspace), key, value, contentType, conditions, io.meridian.core.Idempotency.NONE);
    }

    /**
     * As {@link #putAsync(String, byte[], byte[], String, Preconditions)}, keeping the client's
     * idempotency key with the write: a retry (same key and request) within the keys' lifetime is
     * answered as the write was ({@link PutResult#replayed}) and writes nothing; the key sent with
     * another request fails {@code IDEMPOTENCY_KEY_REUSED}.
     */
    public java.util.concurrent.CompletableFuture<PutResult> putAsync(String keyspace, byte[] key, byte[] value, String contentType,
                                                                      Preconditions conditions,
                                                                      io.meridian.core.Idempotency idempotency) {
        return writer.put(keyspace, family(keyspace), key, value, contentType, conditions, idempotency);
    }

    /**
     * Deletes a key durably if {@code conditions} hold.
     *
     * @return the version that was deleted, or empty when the key did not exist
     */
    public Optional<Long> delete(String keyspace, byte[] key, Preconditions conditions) {
        return await(deleteAsync(keyspace, key, conditions));
    }

    /** {@link #delete}, queued: the future completes once durable (see {@link #putAsync}). */
    public java.util.concurrent.CompletableFuture<Optional<Long>> deleteAsync(String keyspace, byte[] key, Preconditions conditions) {
        return writer.delete(keyspace, family(keyspace), key, conditions, io.meridian.core.Idempotency.NONE)
                .thenApply(Deleted::version);
    }

    /** {@link #deleteAsync(String, byte[], Preconditions)} with an idempotency key (see {@link #putAsync}). */
    public java.util.concurrent.CompletableFuture<Deleted> deleteAsync(String keyspace, byte[] key, Preconditions conditions,
                                                                     io.meridian.core.Idempotency idempotency) {
        return writer.delete(keyspace, family(keyspace), key, conditions, idempotency);
    }

    /** The result of a queued write, its failure rethrown as it was raised. */
    private static <T> T await(java.util.concurrent.CompletableFuture<T> result) {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted waiting for a write to be durable (it may still be)", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new StorageException("write failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Keys starting with {@code prefix} and greater than {@code after} (when given), in byte
     * order, at most {@code limit} of them.
     */
    public ScanPage scan(String keyspace, byte[] prefix, Optional<byte[]> after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        List<StoredValue> items = new ArrayList<>();
        try (ReadOptions options = new ReadOptions(); RocksIterator it = db.newIterator(family(keyspace), options)) {
            byte[] start = after.filter(a -> Arrays.compareUnsigned(a, prefix) > 0).orElse(prefix);
            it.seek(start);
            if (after.isPresent() && it.isValid() && Arrays.equals(it.key(), after.get())) {
                it.next();
            }
            for (; it.isValid() && startsWith(it.key(), prefix); it.next()) {
                if (items.size() == limit) {
                    return new ScanPage(items, Optional.of(items.getLast().key()));
                }
                items.add(ValueCodec.decode(it.key(), it.value()));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StorageException("scan of " + keyspace + " failed: " + e.getMessage(), e);
        }
        return new ScanPage(items, Optional.empty());
    }

    /** A number kept in the metadata family (synced), or {@code fallback} when absent. */
    public long metaLong(String name, long fallback) {
        try {
            byte[] bytes = db.get(families.get(META), ("n:" + name).getBytes(StandardCharsets.UTF_8));
            return bytes == null ? fallback : ByteBuffer.wrap(bytes).getLong();
        } catch (RocksDBException e) {
            throw new StorageException("read of metadata " + name + " failed: " + e.getMessage(), e);
        }
    }

    public void putMetaLong(String name, long value) {
        try {
            db.put(families.get(META), syncWrite, ("n:" + name).getBytes(StandardCharsets.UTF_8), ByteBuffer.allocate(8).putLong(value).array());
        } catch (RocksDBException e) {
            throw new StorageException("write of metadata " + name + " failed: " + e.getMessage(), e);
        }
    }

    /** Proves the store can still make a write durable (for the deep health check). */
    public void probeWrite() {
        try {
            db.put(families.get(META), syncWrite, PROBE_KEY, Long.toString(wallClockMillis.getAsLong()).getBytes(StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            throw new StorageException("probe write failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    public KeyspaceStats stats(String keyspace) {
        ColumnFamilyHandle cf = family(keyspace);
        try {
            return new KeyspaceStats(db.getLongProperty(cf, "rocksdb.estimate-num-keys"),
                    db.getLongProperty(cf, "rocksdb.total-sst-files-size"),
                    db.getLongProperty(cf, "rocksdb.cur-size-all-mem-tables"));
        } catch (RocksDBException e) {
            throw new StorageException("stats of " + keyspace + " failed: " + e.getMessage(), e);
        }
    }

    long allocateVersion() throws RocksDBException {
        synchronized (versionLock) {
            if (nextVersion > versionCeiling) {
                long ceiling = versionCeiling + VERSION_BLOCK;
                db.put(families.get(META), syncWrite, VERSION_CEILING_KEY, ByteBuffer.allocate(8).putLong(ceiling).array());
                versionCeiling = ceiling;
            }
            return nextVersion++;
        }
    }

    long currentVersion(ColumnFamilyHandle cf, byte[] key) throws RocksDBException {
        byte[] record = db.get(cf, key);
        return record == null ? 0 : ValueCodec.version(record);
    }

    long wallClockMillis() {
        return wallClockMillis.getAsLong();
    }

    RocksDB db() {
        return db;
    }

    WriteOptions syncWrite() {
        return syncWrite;
    }

    ColumnFamilyHandle systemFamily(String name) {
        if (!SYSTEM_FAMILIES.contains(name)) {
            throw new IllegalArgumentException("not a system family: " + name);
        }
        return families.get(name);
    }

    ColumnFamilyHandle family(String keyspace) {
        ColumnFamilyHandle cf = families.get(keyspace);
        if (cf == null || SYSTEM_FAMILIES.contains(keyspace)) {
            throw new IllegalArgumentException("no keyspace '" + keyspace + "' in store " + dir
                    + " (the caller checks keyspaces against the configuration first)");
        }
        return cf;
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Flushes nothing extra (every write is already synced) and releases RocksDB. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        writer.close();
        handles.forEach(ColumnFamilyHandle::close);
        db.close();
        syncWrite.close();
        bufferedWrite.close();
        dbOptions.close();
        cfOptions.close();
    }
}
