package io.meridian.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Hlc;
import io.meridian.core.replication.VersionVector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The in-memory tail of one origin's log: a contiguous run of the newest entries, bounded in count and bytes. */
class LogTailTest {
    private static Entry entry(long seq, int valueBytes) {
        return new Entry("a", seq, new Hlc(seq, 0), "sessions", "k" + seq, Entry.Op.PUT, new byte[valueBytes], "text/plain", "",
                new VersionVector(Map.of("a", seq)));
    }

    private static List<Long> copy(LogTail tail, long from, int max) {
        List<Entry> into = new ArrayList<>();
        long next = tail.copy(from, max, into);
        assertThat(next).isEqualTo(from + into.size());
        return into.stream().map(Entry::seq).toList();
    }

    @Test
    void keepsTheNewestEntriesUpToItsCapacity() {
        LogTail tail = new LogTail(4, 1 << 20);
        for (long s = 1; s <= 6; s++) {
            tail.append(entry(s, 10));
        }
        assertThat(tail.size()).isEqualTo(4);
        assertThat(copy(tail, 2, 10)).isEmpty(); // fell out: the caller reads the log
        assertThat(copy(tail, 3, 10)).containsExactly(3L, 4L, 5L, 6L);
        assertThat(copy(tail, 4, 2)).containsExactly(4L, 5L);
        assertThat(copy(tail, 7, 10)).isEmpty();
    }

    @Test
    void keepsAboutItsBytesButAlwaysTheNewestEntry() {
        LogTail tail = new LogTail(100, 250);
        for (long s = 1; s <= 5; s++) {
            tail.append(entry(s, 100));
        }
        assertThat(copy(tail, 1, 10)).isEmpty();
        assertThat(copy(tail, 4, 10)).containsExactly(4L, 5L);
        tail.append(entry(6, 1000));
        assertThat(copy(tail, 6, 10)).containsExactly(6L);
        assertThat(copy(tail, 5, 10)).isEmpty();
    }

    @Test
    void anEntryThatDoesNotFollowStartsTheRunAfresh() {
        LogTail tail = new LogTail(8, 1 << 20);
        tail.append(entry(1, 1));
        tail.append(entry(2, 1));
        tail.append(entry(41, 1)); // after a snapshot raised the watermark
        assertThat(copy(tail, 1, 10)).isEmpty();
        assertThat(copy(tail, 41, 10)).containsExactly(41L);
        assertThat(tail.size()).isEqualTo(1);
    }

    @Test
    void trimmingDropsWhatTheLogDropped() {
        LogTail tail = new LogTail(8, 1 << 20);
        for (long s = 1; s <= 5; s++) {
            tail.append(entry(s, 1));
        }
        tail.dropBelow(4);
        assertThat(copy(tail, 3, 10)).isEmpty();
        assertThat(copy(tail, 4, 10)).containsExactly(4L, 5L);
        tail.dropBelow(100);
        assertThat(tail.size()).isZero();
        tail.append(entry(6, 1));
        assertThat(copy(tail, 6, 10)).containsExactly(6L);
        tail.clear();
        assertThat(copy(tail, 6, 10)).isEmpty();
    }
}
