package io.meridian.core.replication;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The sending side of one replication stream: what region {@code target} has asked this region
 * for (a set of origins, each from the target's watermark), what has been sent, and what the
 * target has acknowledged. Pure; the caller passes time in and performs the sends.
 *
 * <p>Flow control is a window: at most {@link #windowEntries} entries per origin are in flight
 * (sent, not acknowledged). When acknowledgements stop advancing for {@link #retransmitMillis}
 * while entries are in flight, sending goes back to the last acknowledged point (go-back-N):
 * the receiver drops duplicates and refuses gaps, so resending is always safe. A new
 * subscription (after a reconnect) likewise resumes from what the target says it has.
 */
public final class Outbound {
    private final String target;
    private final int windowEntries;
    private final long retransmitMillis;
    private final TreeSet<String> origins = new TreeSet<>();
    private final Map<String, Long> sent = new HashMap<>();
    private VersionVector acked = VersionVector.EMPTY;
    private long lastProgressMillis;
    private boolean snapshotNeeded;

    public Outbound(String target, int windowEntries, long retransmitMillis) {
        if (windowEntries < 1 || retransmitMillis < 1) {
            throw new IllegalArgumentException("window " + windowEntries + ", retransmit " + retransmitMillis + " ms");
        }
        this.target = target;
        this.windowEntries = windowEntries;
        this.retransmitMillis = retransmitMillis;
    }

    public String target() {
        return target;
    }

    /** The target asks for these origins' writes after its watermarks; replaces any earlier request. */
    public void subscribe(Map<String, Long> fromWatermarks, long nowMillis) {
        origins.clear();
        origins.addAll(fromWatermarks.keySet());
        acked = new VersionVector(fromWatermarks);
        sent.clear();
        fromWatermarks.forEach(sent::put);
        lastProgressMillis = nowMillis;
        snapshotNeeded = false;
    }

    public void onAck(VersionVector watermarks, long nowMillis) {
        VersionVector before = acked;
        for (String origin : origins) {
            long seq = watermarks.get(origin);
            if (seq > acked.get(origin)) {
                acked = acked.with(origin, seq);
                sent.merge(origin, seq, Math::max);
            }
        }
        if (!acked.equals(before)) {
            lastProgressMillis = nowMillis;
            snapshotNeeded = false; // the target moved on (a snapshot, perhaps): the next send looks again
        }
    }

    /** The next entries to send, oldest first per origin, at most {@code maxEntries}. */
    public List<Entry> next(ReplicaStore log, int maxEntries, long nowMillis) {
        return next(log, maxEntries, Long.MAX_VALUE, nowMillis);
    }

    /**
     * The next entries to send, oldest first per origin: at most {@code maxEntries}, and no more
     * values than {@code maxBytes} in all (but always at least one entry when any is due).
     */
    public List<Entry> next(ReplicaStore log, int maxEntries, long maxBytes, long nowMillis) {
        if (inFlight() > 0 && nowMillis - lastProgressMillis >= retransmitMillis) {
            acked.seqs().forEach(sent::put);
            origins.forEach(o -> sent.put(o, acked.get(o)));
            lastProgressMillis = nowMillis;
        }
        List<Entry> batch = new ArrayList<>();
        long bytes = 0;
        for (String origin : origins) {
            if (bytes >= maxBytes) {
                break;
            }
            long from = sent.get(origin) + 1;
            long through = log.shippable(origin);
            if (from > through) {
                continue;
            }
            if (from < log.logStart(origin)) {
                snapshotNeeded = true;
                continue;
            }
            int room = (int) Math.min(Math.min(windowEntries - (sent.get(origin) - acked.get(origin)), maxEntries - batch.size()),
                    through - from + 1);
            if (room <= 0) {
                continue;
            }
            List<Entry> entries = log.readLog(origin, from, room);
            if (!entries.isEmpty()) {
                Entry first = entries.getFirst();
                if (!first.origin().equals(origin) || first.seq() != from) {
                    throw new IllegalStateException("log of " + origin + " from " + from + " starts at " + first.stamp());
                }
                for (Entry e : entries) {
                    if (!batch.isEmpty() && bytes + e.value().length > maxBytes) {
                        break;
                    }
                    batch.add(e);
                    bytes += e.value().length;
                    sent.put(origin, e.seq());
                }
            }
        }
        return batch;
    }

    /** Entries sent and not yet acknowledged, over all origins. */
    public long inFlight() {
        return origins.stream().mapToLong(o -> sent.get(o) - acked.get(o)).sum();
    }

    public VersionVector acked() {
        return acked;
    }

    /**
     * True when the target needs entries this log no longer holds: it must be bootstrapped from a
     * snapshot. Set by {@link #next}; cleared when the target acknowledges progress.
     */
    public boolean snapshotNeeded() {
        return snapshotNeeded;
    }

    /** Entries of {@code origin} the target lacks, given this region's own watermark for it. */
    public long lagEntries(String origin, long headSeq) {
        return Math.max(0, headSeq - acked.get(origin));
    }
}
