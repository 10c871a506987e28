package io.meridian.storage;

import io.meridian.core.replication.Entry;
import java.util.List;

/**
 * The newest entries of one origin's log, as committed, kept in memory so a sender shipping
 * them a few milliseconds later need not read them back from RocksDB and decode them again
 * (that was a tenth of a busy origin's garbage). It holds a contiguous run of sequences, at
 * most {@link #capacity} entries and about {@link #maxBytes} of values; anything older is read
 * from the log as before. Small on purpose: entries kept past a young collection are copied by
 * it, so the tail covers what senders ship within milliseconds of a commit, not what a slow
 * subscriber may ask again (docs/benchmarks.md, "Issue 12, twenty-first session": 1,024 entries
 * against 256).
 *
 * <p>Thread-safe: one committer appends, senders read, trimming drops.
 */
final class LogTail {
    private final Entry[] ring;
    private final int capacity;
    private final long maxBytes;
    /** The first and last sequence held; {@code first > last} when empty. */
    private long first = 1;
    private long last;
    private long bytes;

    LogTail(int capacity, long maxBytes) {
        if (capacity < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("capacity " + capacity + ", bytes " + maxBytes);
        }
        this.ring = new Entry[capacity];
        this.capacity = capacity;
        this.maxBytes = maxBytes;
    }

    /** Keeps {@code e}, the log's newest entry; one that does not follow the last starts the run afresh. */
    synchronized void append(Entry e) {
        if (first > last || e.seq() != last + 1) {
            clear();
            first = e.seq();
            last = e.seq() - 1;
        }
        if (last - first + 1 == capacity) {
            dropFirst(); // its slot is the new entry's
        }
        last = e.seq();
        ring[slot(last)] = e;
        bytes += e.value().length;
        while (bytes > maxBytes && first < last) {
            dropFirst();
        }
    }

    /**
     * Adds to {@code into} the entries from {@code fromSeq} on, at most {@code max}, when this
     * tail holds {@code fromSeq}.
     *
     * @return the sequence after the last one added, or {@code fromSeq} when none was
     */
    synchronized long copy(long fromSeq, int max, List<Entry> into) {
        if (fromSeq < first || fromSeq > last) {
            return fromSeq;
        }
        long through = Math.min(last, fromSeq + max - 1);
        for (long s = fromSeq; s <= through; s++) {
            into.add(ring[slot(s)]);
        }
        return through + 1;
    }

    /** Forgets every entry below {@code seq}, as the log does when it is trimmed. */
    synchronized void dropBelow(long seq) {
        while (first <= last && first < seq) {
            dropFirst();
        }
    }

    synchronized void clear() {
        while (first <= last) {
            dropFirst();
        }
    }

    synchronized int size() {
        return (int) Math.max(0, last - first + 1);
    }

    private void dropFirst() {
        int i = slot(first);
        bytes -= ring[i].value().length;
        ring[i] = null;
        first++;
    }

    private int slot(long seq) {
        return (int) Math.floorMod(seq, (long) capacity);
    }
}
