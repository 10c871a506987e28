package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplicaTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Replica.Write put(String key, String value) {
        return Replica.Write.put("ks", key, b(value), "text/plain", "");
    }

    @Test
    void localWritesAreNumberedAndStampedInOrder() {
        Replica a = new Replica("a", new MemStore());
        Entry first = a.write(put("k", "1"), 100).entry();
        Entry second = a.write(put("k", "2"), 100).entry();
        assertThat(first.seq()).isEqualTo(1);
        assertThat(second.seq()).isEqualTo(2);
        assertThat(second.hlc()).isEqualTo(new Hlc(100, 1));
        assertThat(second.context()).isEqualTo(new VersionVector(java.util.Map.of("a", 2L)));
    }

    @Test
    void aWriteAfterATombstoneWasCollectedStillFollowsTheDeleteEverywhere() {
        // A resolver that prefers deletes: were the new write concurrent with the delete at b, b would keep the delete.
        ConflictResolver deleteWins = (x, y) -> Boolean.compare(x.isTombstone(), y.isTombstone());
        MemStore diskA = new MemStore();
        Replica a = new Replica("a", diskA, ks -> deleteWins);
        Replica b = new Replica("b", new MemStore(), ks -> deleteWins);
        Entry put = a.write(put("k", "1"), 10).entry();
        b.apply(put, 11);
        Entry delete = b.write(Replica.Write.delete("ks", "k", ""), 12).entry(); // deleted in b
        a.apply(delete, 13);
        assertThat(diskA.collectTombstones(t -> true, 10)).isEqualTo(1);  // a forgets the tombstone
        assertThat(diskA.state("ks", "k")).isEmpty();

        Entry again = a.write(put("k", "2"), 20).entry();
        assertThat(again.context().get("b")).as("follows the collected delete").isGreaterThanOrEqualTo(delete.seq());
        Replica.Applied atB = b.apply(again, 21);
        assertThat(((Replica.Applied.Accepted) atB).conflict()).isEmpty();
        assertThat(b.store().current("ks", "k").orElseThrow().value()).isEqualTo(b("2"));
    }

    @Test
    void aResentEntryChangesNothingAndAGapIsRefused() {
        Replica a = new Replica("a", new MemStore());
        Replica b = new Replica("b", new MemStore());
        Entry e1 = a.write(put("k", "1"), 10).entry();
        Entry e2 = a.write(put("k", "2"), 11).entry();
        assertThat(b.apply(e2, 12)).isInstanceOf(Replica.Applied.Gap.class);
        assertThat(b.apply(e1, 12)).isInstanceOf(Replica.Applied.Accepted.class);
        assertThat(b.apply(e1, 12)).isInstanceOf(Replica.Applied.Duplicate.class);
        assertThat(b.apply(e2, 12)).isInstanceOf(Replica.Applied.Accepted.class);
        assertThat(b.store().current("ks", "k").orElseThrow().value()).isEqualTo(b("2"));
    }

    @Test
    void concurrentWritesResolveTheSameWayInEveryOrderAndRecordTheLoser() {
        Replica a = new Replica("a", new MemStore());
        Replica b = new Replica("b", new MemStore());
        Entry fromA = a.write(put("k", "from a"), 100).entry();
        Entry fromB = b.write(put("k", "from b"), 200).entry();
        Replica.Applied atA = a.apply(fromB, 300);
        Replica.Applied atB = b.apply(fromA, 300);
        KeyState stateA = a.store().state("ks", "k").orElseThrow();
        KeyState stateB = b.store().state("ks", "k").orElseThrow();
        assertThat(stateA).isEqualTo(stateB);
        assertThat(stateA.siblings()).hasSize(2);
        assertThat(stateA.winner().value()).isEqualTo(b("from b"));
        assertThat(stateA.context()).isEqualTo(new VersionVector(java.util.Map.of("a", 1L, "b", 1L)));
        Entry next = a.write(put("k", "after both"), 400).entry();
        assertThat(next.context()).isEqualTo(new VersionVector(java.util.Map.of("a", 2L, "b", 1L)));
        assertThat(a.store().state("ks", "k").orElseThrow().siblings()).containsExactly(next);
        assertThat(((Replica.Applied.Accepted) atA).conflict()).hasValueSatisfying(c -> {
            assertThat(c.loser().sameWrite(fromA)).isTrue();
            assertThat(c.rule()).isEqualTo(Conflict.LWW_RULE);
        });
        assertThat(((Replica.Applied.Accepted) atB).conflict()).hasValueSatisfying(c -> assertThat(c.loser().sameWrite(fromA)).isTrue());
    }

    @Test
    void aWriteThatFollowsAnotherReplacesItWithoutConflict() {
        Replica a = new Replica("a", new MemStore());
        Replica b = new Replica("b", new MemStore());
        Entry first = a.write(put("k", "1"), 100).entry();
        b.apply(first, 150);
        Entry followUp = b.write(put("k", "2"), 50).entry(); // b's wall clock is behind: the HLC still orders it after
        assertThat(followUp.hlc().isAfter(first.hlc())).isTrue();
        Replica.Applied applied = a.apply(followUp, 200);
        assertThat(((Replica.Applied.Accepted) applied).conflict()).isEmpty();
        assertThat(a.store().current("ks", "k").orElseThrow().value()).isEqualTo(b("2"));
    }

    @Test
    void anEntryAlreadyFollowedByTheCurrentStateChangesNothing() {
        Replica a = new Replica("a", new MemStore());
        Replica b = new Replica("b", new MemStore());
        Replica c = new Replica("c", new MemStore());
        Entry first = a.write(put("k", "1"), 100).entry();
        b.apply(first, 110);
        Entry second = b.write(put("k", "2"), 120).entry();
        c.apply(second, 130);
        Replica.Applied late = c.apply(first, 140);
        assertThat(((Replica.Applied.Accepted) late).conflict()).isEmpty();
        assertThat(c.store().current("ks", "k").orElseThrow().value()).isEqualTo(b("2"));
    }

    @Test
    void aResolverPicksTheSameWinnerWhateverTheOrderOfArrival() {
        ConflictResolver longer = (x, y) -> Integer.compare(x.value().length, y.value().length);
        Replica a = new Replica("a", new MemStore(), ks -> longer);
        Replica b = new Replica("b", new MemStore(), ks -> longer);
        Replica c = new Replica("c", new MemStore(), ks -> longer);
        Entry longA = a.write(put("k", "looooong"), 100).entry();
        Entry shortB = b.write(put("k", "s"), 200).entry();
        b.apply(longA, 250);                       // b: {longA, shortB}, longA wins
        Entry followA = a.write(put("k", "x"), 300).entry(); // follows longA only
        b.apply(followA, 350);                      // b: {shortB, followA}: the longer of those
        c.apply(shortB, 10);
        c.apply(longA, 10);                         // c: {longA, shortB}
        c.apply(followA, 10);                       // replaces longA
        assertThat(b.store().state("ks", "k")).isEqualTo(c.store().state("ks", "k"));
        KeyState state = c.store().state("ks", "k").orElseThrow();
        assertThat(state.siblings()).containsExactly(followA, shortB);
        assertThat(state.winner()).isEqualTo(followA); // "x" and "s" tie on length: last-writer-wins decides
    }

    @Test
    void aRegionNeverAcceptsItsOwnWriteFromElsewhereBeyondItsLog() {
        Replica a = new Replica("a", new MemStore());
        Entry foreign = new Replica("a", new MemStore()).write(put("k", "1"), 1).entry();
        assertThatThrownBy(() -> a.apply(foreign, 2)).hasMessageContaining("received its own write");
    }

    @Test
    void theClockRestartsAboveEverythingLogged() {
        MemStore disk = new MemStore();
        Entry before = new Replica("a", disk).write(put("k", "1"), 5_000).entry();
        Entry after = new Replica("a", disk).write(put("k", "2"), 1_000).entry();
        assertThat(after.hlc().isAfter(before.hlc())).isTrue();
        assertThat(after.seq()).isEqualTo(2);
    }
}
