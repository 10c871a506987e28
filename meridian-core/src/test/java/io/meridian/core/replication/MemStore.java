package io.meridian.core.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A replica's "disk" in tests: survives a simulated crash; every commit is atomic. */
final class MemStore implements ReplicaStore {
    final Map<String, KeyState> current = new TreeMap<>();
    final Map<String, TreeMap<Long, Entry>> log = new TreeMap<>();
    final List<Conflict> conflicts = new ArrayList<>();
    final Map<String, Entry> idempotencyKeys = new TreeMap<>();
    /** Deletes whose tombstones were collected: they took effect, and left no state behind. */
    final List<Entry> collected = new ArrayList<>();
    /** Event-log keyspaces' event stores: per stream, version → event. */
    final Map<String, TreeMap<Long, io.meridian.core.events.StoredEvent>> events = new TreeMap<>();
    /** Per event-log keyspace, this region's order ($all): position → the event. */
    final Map<String, TreeMap<Long, io.meridian.core.events.StoredEvent>> all = new TreeMap<>();
    private final java.util.function.Predicate<String> eventLogs;
    private VersionVector watermarks = VersionVector.EMPTY;
    private Hlc highest = Hlc.ZERO;

    MemStore() {
        this(keyspace -> false);
    }

    MemStore(java.util.function.Predicate<String> eventLogs) {
        this.eventLogs = eventLogs;
    }

    private void putEvents(Entry append) {
        if (!eventLogs.test(append.keyspace()) || append.isTombstone()) {
            return;
        }
        io.meridian.core.events.Append a = io.meridian.core.events.EventCodec.decode(append.value());
        TreeMap<Long, io.meridian.core.events.StoredEvent> stream = events.computeIfAbsent(id(append.keyspace(), append.key()), k -> new TreeMap<>());
        TreeMap<Long, io.meridian.core.events.StoredEvent> order = all.computeIfAbsent(append.keyspace(), k -> new TreeMap<>());
        for (int i = 0; i < a.events().size(); i++) {
            long version = a.firstVersion() + i;
            if (!stream.containsKey(version)) {
                long position = order.isEmpty() ? 1 : order.lastKey() + 1;
                var e = new io.meridian.core.events.StoredEvent(append.key(), version, a.events().get(i), append.origin(),
                        append.seq(), append.hlc(), position);
                stream.put(version, e);
                order.put(position, e);
            }
        }
    }

    private void dropEvents(Entry lost) {
        TreeMap<Long, io.meridian.core.events.StoredEvent> stream = events.get(id(lost.keyspace(), lost.key()));
        if (!eventLogs.test(lost.keyspace()) || stream == null) {
            return;
        }
        stream.values().removeIf(e -> {
            boolean drop = e.origin().equals(lost.origin()) && e.seq() == lost.seq();
            if (drop) {
                all.get(lost.keyspace()).remove(e.position());
            }
            return drop;
        });
    }

    @Override
    public void installEvents(Entry slice) {
        putEvents(slice);
    }

    private static String id(String keyspace, String key) {
        return keyspace + "\0" + key;
    }

    @Override
    public Optional<KeyState> state(String keyspace, String key) {
        return Optional.ofNullable(current.get(id(keyspace, key)));
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
    public List<Entry> readLog(String origin, long fromSeq, int max) {
        TreeMap<Long, Entry> entries = log.getOrDefault(origin, new TreeMap<>());
        return entries.tailMap(fromSeq, true).values().stream().limit(max).toList();
    }

    @Override
    public long logStart(String origin) {
        TreeMap<Long, Entry> entries = log.get(origin);
        return entries == null || entries.isEmpty() ? watermark(origin) + 1 : entries.firstKey();
    }

    @Override
    public Hlc highestHlc() {
        return highest;
    }

    @Override
    public void sync() {
        // every commit is already on the simulated disk
    }

    @Override
    public void install(KeyState cur, List<Conflict> newConflicts) {
        current.put(id(cur.keyspace(), cur.key()), cur);
        putEvents(cur.winner());
        conflicts.addAll(newConflicts);
    }

    @Override
    public void replace(String keyspace, String key, Optional<KeyState> state, List<Conflict> newConflicts) {
        newConflicts.stream().filter(Conflict::isLoss).forEach(c -> dropEvents(c.loser()));
        if (state.isPresent()) {
            current.put(id(keyspace, key), state.get());
            putEvents(state.get().winner());
        } else {
            current.remove(id(keyspace, key));
        }
        conflicts.addAll(newConflicts);
    }

    @Override
    public void raiseWatermarks(VersionVector to, Hlc high) {
        watermarks = watermarks.merge(to);
        if (high.isAfter(highest)) {
            highest = high;
        }
    }

    @Override
    public void commit(Commit c) {
        Entry e = c.logged();
        if (e.seq() != watermarks.get(e.origin()) + 1) {
            throw new IllegalStateException("commit of " + e.stamp() + " over watermark " + watermarks.get(e.origin()));
        }
        log.computeIfAbsent(e.origin(), o -> new TreeMap<>()).put(e.seq(), e);
        watermarks = watermarks.with(e.origin(), e.seq());
        c.state().ifPresent(cur -> current.put(id(cur.keyspace(), cur.key()), cur));
        if (c.conflicts().stream().noneMatch(Conflict::isLoss)) {
            putEvents(e);
            if (!e.idempotency().isNone()) {
                idempotencyKeys.put(id(e.keyspace(), e.idempotency().key()), e);
            }
        }
        conflicts.addAll(c.conflicts());
        if (e.hlc().isAfter(highest)) {
            highest = e.hlc();
        }
    }

    @Override
    public java.util.Optional<Entry> idempotent(String keyspace, String idempotencyKey, long sinceMillis) {
        return java.util.Optional.ofNullable(idempotencyKeys.get(id(keyspace, idempotencyKey)))
                .filter(e -> e.hlc().physicalMillis() >= sinceMillis);
    }

    @Override
    public int forgetIdempotency(long beforeMillis, int max) {
        int before = idempotencyKeys.size();
        idempotencyKeys.values().removeIf(e -> e.hlc().physicalMillis() < beforeMillis);
        return before - idempotencyKeys.size();
    }

    @Override
    public long trimLog(String origin, long keep) {
        TreeMap<Long, Entry> entries = log.getOrDefault(origin, new TreeMap<>());
        long end = watermark(origin) - keep + 1;
        long dropped = 0;
        while (!entries.isEmpty() && entries.firstKey() < end) {
            entries.pollFirstEntry();
            dropped++;
        }
        return dropped;
    }

    @Override
    public void dropLogThrough(String origin, long seq) {
        log.getOrDefault(origin, new TreeMap<>()).headMap(seq, true).clear();
    }

    @Override
    public int collectTombstones(java.util.function.Predicate<Entry> collectible, int max) {
        int dropped = 0;
        var it = current.values().iterator();
        while (it.hasNext() && dropped < max) {
            KeyState state = it.next();
            if (state.siblings().size() == 1 && state.winner().isTombstone() && collectible.test(state.winner())) {
                collected.add(state.winner());
                it.remove();
                dropped++;
            }
        }
        return dropped;
    }
}
