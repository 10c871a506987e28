package io.meridian.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.events.Append;
import io.meridian.core.events.Event;
import io.meridian.core.events.EventCodec;
import io.meridian.core.events.StoredEvent;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event-log keyspaces on real RocksDB: appends, their order, snapshots and lost writes. */
class EventStoreTest {
    @TempDir
    Path dir;

    private static Store open(Path dir) {
        return Store.open(dir, Set.of("orders"), () -> 0);
    }

    private static Replica replica(String region, Store store) {
        return new Replica(region, new ReplicatedStore(store, "orders"::equals));
    }

    /** Appends {@code n} events after the stream's last version, as the engine does at the stream's home. */
    private static Entry append(Replica r, String stream, int n, long wall) {
        long last = r.store().current("orders", stream).map(e -> EventCodec.decode(e.value()).lastVersion()).orElse(0L);
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(new Event(UUID.randomUUID().toString(), "T" + (last + i + 1), "{}".getBytes(StandardCharsets.UTF_8), new byte[0]));
        }
        return r.write(Replica.Write.put("orders", stream, EventCodec.encode(new Append(last + 1, events)),
                EventCodec.CONTENT_TYPE, r.region()), wall).entry();
    }

    private static List<String> types(List<StoredEvent> events) {
        return events.stream().map(e -> e.stream() + ":" + e.event().type()).toList();
    }

    @Test
    void eventsAndTheirPositionsSurviveAReopenAndAReceiverNumbersThemInItsOwnOrder() {
        Store a = open(dir.resolve("a"));
        Store b = open(dir.resolve("b"));
        try {
            Replica ra = replica("a", a);
            Replica rb = replica("b", b);
            Entry x1 = append(ra, "x", 2, 100);
            Entry y1 = append(rb, "y", 1, 100);
            Entry x2 = append(ra, "x", 1, 200);
            rb.apply(x1, 300);
            rb.apply(x2, 300);
            ReplicatedStore sb = (ReplicatedStore) rb.store();
            assertThat(types(sb.all("orders", 1, 10))).containsExactly("y:T1", "x:T1", "x:T2", "x:T3");
            assertThat(sb.events("orders", "x", 3, 10, false)).extracting(StoredEvent::version).containsExactly(3L, 2L, 1L);
            assertThat(sb.eventVersion("orders", "x", sb.events("orders", "x", 2, 1, true).getFirst().event().id())).hasValue(2);
            rb.apply(x1, 400); // a resend changes nothing
            assertThat(sb.lastPosition("orders")).isEqualTo(4);
            assertThat(y1.seq()).isEqualTo(1);
        } finally {
            a.close();
            b.close();
        }
        Store again = open(dir.resolve("b"));
        try {
            ReplicatedStore sb = new ReplicatedStore(again, "orders"::equals);
            assertThat(types(sb.all("orders", 1, 10))).containsExactly("y:T1", "x:T1", "x:T2", "x:T3");
            assertThat(sb.lastPosition("orders")).isEqualTo(4);
        } finally {
            again.close();
        }
    }

    @Test
    void aSnapshotCarriesEveryEventNotOnlyEachStreamsLastAppend() {
        Store a = open(dir.resolve("a"));
        Store c = open(dir.resolve("c"));
        try {
            Replica ra = replica("a", a);
            for (int i = 0; i < 7; i++) {
                append(ra, "x", 3, 100 + i);
            }
            append(ra, "y", 1, 200);
            Replica rc = replica("c", c);
            List<Entry> chunks = new ArrayList<>();
            ReplicatedStore.Snapshot snap = ((ReplicatedStore) ra.store()).snapshot(List.of("orders"), 4, chunks::addAll);
            chunks.forEach(rc::installState);
            rc.finishInstall(snap.watermarks(), snap.highest());
            ReplicatedStore sc = (ReplicatedStore) rc.store();
            assertThat(sc.events("orders", "x", 1, 100, true)).extracting(StoredEvent::version)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L, 21L);
            assertThat(sc.all("orders", 1, 100)).hasSize(22);
            assertThat(EventCodec.decode(sc.current("orders", "x").orElseThrow().value()).lastVersion()).isEqualTo(21);
            assertThat(sc.current("orders", "x")).isEqualTo(ra.store().current("orders", "x"));
            // Installing the same snapshot again (a retried bootstrap) renumbers nothing.
            chunks.forEach(rc::installState);
            assertThat(sc.all("orders", 1, 100)).hasSize(22);
        } finally {
            a.close();
            c.close();
        }
    }

    @Test
    void anAppendLostInAFailoverLeavesTheEventStoreWithTheEventsBeforeIt() {
        Store a = open(dir.resolve("a"));
        try {
            Replica ra = replica("a", a);
            append(ra, "x", 2, 100);
            Entry lost = append(ra, "x", 2, 200);
            Replica.Reverted r = ra.revertLost(lost.seq() - 1, lost.seq(), "orders"::equals);
            assertThat(r.writes()).isEqualTo(1);
            ReplicatedStore sa = (ReplicatedStore) ra.store();
            assertThat(sa.events("orders", "x", 1, 10, true)).extracting(StoredEvent::version).containsExactly(1L, 2L);
            assertThat(sa.all("orders", 1, 10)).extracting(StoredEvent::position).containsExactly(1L, 2L);
            assertThat(sa.conflicts("orders", 0, 10)).singleElement().satisfies(c -> assertThat(c.conflict().isLoss()).isTrue());
            assertThat(sa.eventsDropped("orders")).as("read models must be folded again").isEqualTo(2);
        } finally {
            a.close();
        }
    }

    /**
     * A stream appended in one region and then (its home moved) in another: a third region that
     * receives the second append first still gets the first one's events when it comes, and the
     * stream's state stays the later append.
     */
    @Test
    void anAppendThatArrivesAfterALaterOneOfItsStreamStillAddsItsEvents() {
        Store a = open(dir.resolve("a"));
        Store b = open(dir.resolve("b"));
        Store c = open(dir.resolve("c"));
        try {
            Replica ra = replica("a", a);
            Replica rb = replica("b", b);
            Replica rc = replica("c", c);
            Entry first = append(ra, "x", 2, 100);
            rb.apply(first, 150);
            Entry second = append(rb, "x", 1, 200);
            assertThat(EventCodec.decode(second.value()).firstVersion()).isEqualTo(3);
            rc.apply(second, 300);
            rc.apply(first, 310);
            ReplicatedStore sc = (ReplicatedStore) rc.store();
            assertThat(sc.events("orders", "x", 1, 10, true)).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L);
            assertThat(sc.all("orders", 1, 10)).extracting(StoredEvent::version).containsExactly(3L, 1L, 2L);
            assertThat(sc.current("orders", "x").orElseThrow().seq()).isEqualTo(second.seq());
            assertThat(sc.current("orders", "x").orElseThrow().origin()).isEqualTo("b");
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }
}
