package io.meridian.node.projection;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.api.ApiJson;
import io.meridian.core.api.ProjectionView;
import io.meridian.core.events.Projection;
import io.meridian.core.events.StoredEvent;
import io.meridian.core.replication.VersionVector;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.storage.ProjectionStore;
import io.meridian.storage.ReplicatedStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one projection in this region: folds the keyspace's events, in the region's {@code $all}
 * order, into each stream's state, a stream's events always in version order (an event whose
 * predecessors have not arrived yet waits for them). Each pass reads a page of {@code $all} and
 * saves the states it changed with the position reached in one batch. A rebuild folds a new
 * generation from position 0 in the same passes while the active one keeps serving, and takes
 * over once it has caught up; one starts by itself when events the projection may have folded
 * leave the event store (appends this region acknowledged and lost in a failover). Every
 * {@link #SNAPSHOT_EVERY} versions of a stream, its state is kept as a snapshot for as-of queries.
 */
public final class ProjectionRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProjectionRunner.class);
    /** A stream's state is kept for as-of queries every this many versions. */
    public static final long SNAPSHOT_EVERY = 100;
    private static final int PAGE = 512;
    private static final Duration IDLE_WAIT = Duration.ofSeconds(1);
    private static final Duration RETRY_AFTER_ERROR = Duration.ofSeconds(2);

    private final String name;
    private final String keyspace;
    private final String className;
    private final Projection projection;
    private final ReplicationEngine engine;
    private final ProjectionStore store;
    private volatile String error;
    private volatile boolean closed;
    private Thread thread;

    public ProjectionRunner(String name, String keyspace, String className, Projection projection, ReplicationEngine engine,
                            ProjectionStore store) {
        this.name = name;
        this.keyspace = keyspace;
        this.className = className;
        this.projection = projection;
        this.engine = engine;
        this.store = store;
    }

    public String name() {
        return name;
    }

    public String keyspace() {
        return keyspace;
    }

    public void start() {
        thread = Thread.ofPlatform().name("projection-" + name).daemon().start(this::run);
    }

    private void run() {
        while (!closed && !engine.closed()) {
            try {
                VersionVector seen = engine.watermarks();
                long dropped = engine.store().eventsDropped(keyspace);
                long seenDrops = store.droppedSeen(name);
                if (dropped > seenDrops) {
                    // Events lost in a failover left the event store; the read model may hold them: fold it again.
                    long generation = store.startRebuildAfterDrops(name, dropped);
                    log.info("projection {}: {} events of {} were lost in a failover; rebuilding in generation {}", name,
                            dropped - seenDrops, keyspace, generation);
                }
                boolean moved = pass(store.activeGeneration(name));
                OptionalLong building = store.rebuilding(name);
                if (building.isPresent()) {
                    moved |= pass(building.getAsLong());
                    if (store.position(name, building.getAsLong()) >= engine.store().lastPosition(keyspace)) {
                        store.finishRebuild(name, building.getAsLong());
                        log.info("projection {} rebuilt: generation {} serves from now on", name, building.getAsLong());
                    }
                }
                error = null;
                if (!moved) {
                    engine.awaitChange(seen, IDLE_WAIT);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (closed || engine.closed()) {
                    return;
                }
                error = e.getMessage() == null ? e.toString() : e.getMessage();
                log.warn("projection {} stopped at an event it cannot fold; trying again in {} s: {}", name,
                        RETRY_AFTER_ERROR.toSeconds(), error);
                try {
                    Thread.sleep(RETRY_AFTER_ERROR);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Folds one page of {@code $all} into a generation. @return true when there was something to fold */
    private boolean pass(long generation) {
        ReplicatedStore events = engine.store();
        long position = store.position(name, generation);
        List<StoredEvent> page = events.all(keyspace, position + 1, PAGE);
        if (page.isEmpty()) {
            return false;
        }
        Map<String, ProjectionStore.State> states = new LinkedHashMap<>();
        List<ProjectionStore.Snapshot> snapshots = new ArrayList<>();
        for (StoredEvent e : page) {
            ProjectionStore.State state = states.containsKey(e.stream()) ? states.get(e.stream())
                    : store.state(name, generation, e.stream()).orElse(null);
            long version = state == null ? 0 : state.version();
            if (e.version() <= version) {
                continue; // folded already, with the stream's earlier events
            }
            JsonNode json = state == null ? null : json(state.json());
            boolean changed = false;
            for (StoredEvent next : events.events(keyspace, e.stream(), version + 1, PAGE, true)) {
                if (next.version() != version + 1) {
                    break; // a version not arrived yet: the rest waits for it
                }
                json = projection.apply(json, view(next));
                version = next.version();
                changed = true;
                if (version % SNAPSHOT_EVERY == 0) {
                    snapshots.add(new ProjectionStore.Snapshot(e.stream(), version, ApiJson.bytes(json)));
                }
            }
            if (changed) {
                states.put(e.stream(), new ProjectionStore.State(version, ApiJson.bytes(json)));
            }
        }
        store.save(name, generation, states, snapshots, page.getLast().position());
        return true;
    }

    static Projection.Event view(StoredEvent e) {
        return new Projection.Event(e.stream(), e.version(), e.event().type(), json(e.event().data()),
                e.event().metadata().length == 0 ? null : json(e.event().metadata()), e.hlc().physicalMillis());
    }

    private static JsonNode json(byte[] text) {
        try {
            return ApiJson.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + e.getMessage(), e);
        }
    }

    /** Starts a rebuild from position 0; the current read model serves until it has caught up. */
    public ProjectionView rebuild() {
        store.startRebuild(name);
        return view();
    }

    public ProjectionView view() {
        long generation = store.activeGeneration(name);
        long position = store.position(name, generation);
        long last = engine.store().lastPosition(keyspace);
        OptionalLong building = store.rebuilding(name);
        return new ProjectionView(name, keyspace, className, generation, position, last, Math.max(0, last - position),
                building.isPresent() ? building.getAsLong() : null,
                building.isPresent() ? store.position(name, building.getAsLong()) : null, error);
    }

    /** A stream's state in the generation that serves, if the projection reached it. */
    public Optional<ProjectionView.StreamState> state(String region, String stream) {
        long generation = store.activeGeneration(name);
        long lag = view().lag();
        return store.state(name, generation, stream).map(s -> new ProjectionView.StreamState(name, stream, region, s.version(),
                json(s.json()), generation, lag));
    }

    /**
     * A stream's state as of {@code version}: from the newest snapshot at or before it, the
     * stream's events replayed up to it (every one from the first when there is no snapshot).
     */
    public ProjectionView.AsOf asOf(String region, String stream, long version) {
        long generation = store.activeGeneration(name);
        Optional<ProjectionStore.Snapshot> snap = store.snapshotAtOrBefore(name, generation, stream, version);
        JsonNode json = snap.map(s -> json(s.json())).orElse(null);
        long at = snap.map(ProjectionStore.Snapshot::version).orElse(0L);
        long replayed = 0;
        long time = 0;
        while (at < version) {
            List<StoredEvent> page = engine.store().events(keyspace, stream, at + 1, PAGE, true);
            if (page.isEmpty() || page.getFirst().version() != at + 1) {
                throw new MeridianException(ProblemType.STREAM_NOT_FOUND, "stream '" + stream + "' has no version " + (at + 1)
                        + " in " + region, Map.of("stream", stream, "version", at + 1));
            }
            for (StoredEvent e : page) {
                if (e.version() > version || e.version() != at + 1) {
                    break;
                }
                json = projection.apply(json, view(e));
                at = e.version();
                time = e.hlc().physicalMillis();
                replayed++;
            }
        }
        if (time == 0 && version > 0) {
            time = engine.store().events(keyspace, stream, version, 1, true).stream().findFirst()
                    .map(e -> e.hlc().physicalMillis()).orElse(0L);
        }
        return new ProjectionView.AsOf(name, stream, region, version, time == 0 ? null : java.time.Instant.ofEpochMilli(time).toString(),
                json, replayed, snap.map(ProjectionStore.Snapshot::version).orElse(null));
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
