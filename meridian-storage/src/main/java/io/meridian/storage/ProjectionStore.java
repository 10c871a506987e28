package io.meridian.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A region's projections of its event-log keyspaces ({@code _projections}): per projection and
 * generation, each stream's state (the version it reached and the state as JSON), the {@code $all}
 * position the generation has folded up to, and snapshots of states every so many versions (for
 * as-of queries). A rebuild folds a new generation from position 0 while the active one serves;
 * when it has caught up it becomes the active one and the old generation is deleted.
 *
 * <p>A generation's states and its position move together ({@link #save}: one batch). They are
 * written without a sync: after a crash a generation may be behind its last save, and folds the
 * events again; each state knows its version, so no event is folded twice. One writer per
 * projection (its runner); reads may run concurrently.
 */
public final class ProjectionStore {
    private final Store store;
    private final WriteOptions bufferedWrite = new WriteOptions().setSync(false);

    public ProjectionStore(Store store) {
        this.store = store;
    }

    /** A stream's state: the version it reached and the state as JSON text. */
    public record State(long version, byte[] json) {
    }

    /** A state kept for as-of queries: the stream's state at {@code version}. */
    public record Snapshot(String stream, long version, byte[] json) {
    }

    /** The generation reads are served from (1 until a rebuild finishes). */
    public long activeGeneration(String projection) {
        return read(meta("g", projection)).orElse(1);
    }

    /** The generation a rebuild is folding, if one is. */
    public OptionalLong rebuilding(String projection) {
        return read(meta("r", projection));
    }

    /** How many dropped events of its keyspace the projection has been rebuilt for ({@link ReplicatedStore#eventsDropped}). */
    public long droppedSeen(String projection) {
        return read(meta("d", projection)).orElse(0);
    }

    /** The {@code $all} position a generation has folded up to (0: none yet). */
    public long position(String projection, long generation) {
        return read(positionKey(projection, generation)).orElse(0);
    }

    public Optional<State> state(String projection, long generation, String stream) {
        byte[] v = get(stateKey(projection, generation, stream));
        return v == null ? Optional.empty() : Optional.of(new State(ByteBuffer.wrap(v).getLong(), Arrays.copyOfRange(v, 8, v.length)));
    }

    /** The newest snapshot of a stream's state at or before {@code version}. */
    public Optional<Snapshot> snapshotAtOrBefore(String projection, long generation, String stream, long version) {
        byte[] prefix = snapshotPrefix(projection, generation, stream);
        try (RocksIterator it = store.db().newIterator(store.systemFamily(Store.PROJECTIONS))) {
            it.seekForPrev(ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(version).array());
            if (it.isValid() && it.key().length == prefix.length + 8 && Arrays.equals(it.key(), 0, prefix.length, prefix, 0, prefix.length)) {
                return Optional.of(new Snapshot(stream, ByteBuffer.wrap(it.key(), prefix.length, 8).getLong(), it.value()));
            }
        }
        return Optional.empty();
    }

    /** Saves what one pass folded: streams' states, snapshots, and the position reached, in one batch. */
    public void save(String projection, long generation, Map<String, State> states, List<Snapshot> snapshots, long position) {
        try (WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<String, State> s : states.entrySet()) {
                byte[] json = s.getValue().json();
                batch.put(store.systemFamily(Store.PROJECTIONS), stateKey(projection, generation, s.getKey()),
                        ByteBuffer.allocate(8 + json.length).putLong(s.getValue().version()).put(json).array());
            }
            for (Snapshot s : snapshots) {
                byte[] prefix = snapshotPrefix(projection, generation, s.stream());
                batch.put(store.systemFamily(Store.PROJECTIONS), ByteBuffer.allocate(prefix.length + 8).put(prefix)
                        .putLong(s.version()).array(), s.json());
            }
            batch.put(store.systemFamily(Store.PROJECTIONS), positionKey(projection, generation), longBytes(position));
            store.db().write(bufferedWrite, batch);
        } catch (RocksDBException e) {
            throw new StorageException("saving projection " + projection + " failed: " + e.getMessage(), e);
        }
    }

    /** Starts a rebuild (or restarts the one under way) in a new generation, from position 0. @return the generation */
    public long startRebuild(String projection) {
        return startRebuild(projection, OptionalLong.empty());
    }

    /**
     * Starts a rebuild because the keyspace's event store lost events the projection may have
     * folded (writes lost in a failover), and records how many it has now seen, in one synced batch.
     */
    public long startRebuildAfterDrops(String projection, long dropped) {
        return startRebuild(projection, OptionalLong.of(dropped));
    }

    private long startRebuild(String projection, OptionalLong dropped) {
        long generation = Math.max(activeGeneration(projection), rebuilding(projection).orElse(0)) + 1;
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(store.systemFamily(Store.PROJECTIONS), meta("r", projection), longBytes(generation));
            if (dropped.isPresent()) {
                batch.put(store.systemFamily(Store.PROJECTIONS), meta("d", projection), longBytes(dropped.getAsLong()));
            }
            store.db().write(store.syncWrite(), batch);
        } catch (RocksDBException e) {
            throw new StorageException("starting a rebuild of " + projection + " failed: " + e.getMessage(), e);
        }
        return generation;
    }

    /**
     * Makes a rebuilt generation the one reads are served from, in one synced batch, then deletes
     * every other generation of the projection.
     */
    public void finishRebuild(String projection, long generation) {
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(store.systemFamily(Store.PROJECTIONS), meta("g", projection), longBytes(generation));
            batch.delete(store.systemFamily(Store.PROJECTIONS), meta("r", projection));
            store.db().write(store.syncWrite(), batch);
            for (String kind : List.of("s", "n", "p")) {
                store.db().deleteRange(store.systemFamily(Store.PROJECTIONS), generationPrefix(kind, projection, 0),
                        generationPrefix(kind, projection, generation));
            }
        } catch (RocksDBException e) {
            throw new StorageException("finishing the rebuild of " + projection + " failed: " + e.getMessage(), e);
        }
    }

    private OptionalLong read(byte[] key) {
        byte[] v = get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(ByteBuffer.wrap(v).getLong());
    }

    private byte[] get(byte[] key) {
        try {
            return store.db().get(store.systemFamily(Store.PROJECTIONS), key);
        } catch (RocksDBException e) {
            throw new StorageException("read of a projection failed: " + e.getMessage(), e);
        }
    }

    private static byte[] meta(String kind, String projection) {
        return (kind + "\0" + projection).getBytes(StandardCharsets.UTF_8);
    }

    /** kind \0 projection \0 generation: the keys of one generation sort together. */
    private static byte[] generationPrefix(String kind, String projection, long generation) {
        byte[] p = (kind + "\0" + projection + "\0").getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(p.length + 8).put(p).putLong(generation).array();
    }

    private static byte[] positionKey(String projection, long generation) {
        return generationPrefix("p", projection, generation);
    }

    private static byte[] streamKey(String kind, String projection, long generation, String stream) {
        byte[] p = generationPrefix(kind, projection, generation);
        byte[] s = stream.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(p.length + 4 + s.length).put(p).putInt(s.length).put(s).array();
    }

    private static byte[] stateKey(String projection, long generation, String stream) {
        return streamKey("s", projection, generation, stream);
    }

    private static byte[] snapshotPrefix(String projection, long generation, String stream) {
        return streamKey("n", projection, generation, stream);
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}
