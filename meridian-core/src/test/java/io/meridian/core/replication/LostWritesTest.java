package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Writes a region acknowledged and lost in its failover: receivers hold them while the origin
 * has not said how far its writes go, record them (not apply them) once it has, and the origin
 * itself undoes them so that it ends with what the others hold.
 */
class LostWritesTest {
    private static Replica.Write put(String keyspace, String key, String value) {
        return Replica.Write.put(keyspace, key, value.getBytes(StandardCharsets.UTF_8), "text/plain", "a");
    }

    /** Origin "a" failed over with cutoff 1; while {@code through} is unknown (-1) its later writes are held. */
    private static OriginFence fence(long through) {
        return e -> {
            if (!e.origin().equals("a") || e.seq() <= 1) {
                return OriginFence.Verdict.APPLY;
            }
            if (through < 0) {
                return OriginFence.Verdict.HOLD;
            }
            return e.seq() <= through && e.keyspace().equals("profiles") ? OriginFence.Verdict.LOST : OriginFence.Verdict.APPLY;
        };
    }

    @Test
    void aReceiverHoldsThenRecordsLostWritesAndAppliesTheRest() {
        Replica a = new Replica("a", new MemStore());
        Entry shipped = a.write(put("profiles", "p", "shipped"), 10).entry();
        Entry lost = a.write(put("profiles", "p", "never shipped"), 11).entry();
        Entry session = a.write(put("sessions", "s", "multi-master"), 12).entry();

        MemStore bStore = new MemStore();
        Replica waiting = new Replica("b", bStore, ks -> ConflictResolver.LWW, fence(-1));
        assertThat(waiting.apply(shipped, 20)).isInstanceOf(Replica.Applied.Accepted.class);
        assertThat(waiting.apply(lost, 20)).isInstanceOf(Replica.Applied.Held.class);
        assertThat(bStore.watermark("a")).isEqualTo(1);

        Replica b = new Replica("b", bStore, ks -> ConflictResolver.LWW, fence(3));
        assertThat(b.apply(lost, 30)).isInstanceOf(Replica.Applied.Lost.class);
        assertThat(b.apply(session, 30)).isInstanceOf(Replica.Applied.Accepted.class);
        assertThat(bStore.watermark("a")).isEqualTo(3);
        assertThat(b.store().current("profiles", "p").orElseThrow().value()).isEqualTo("shipped".getBytes(StandardCharsets.UTF_8));
        assertThat(b.store().current("sessions", "s")).isPresent();
        assertThat(bStore.conflicts).singleElement().satisfies(c -> {
            assertThat(c.isLoss()).isTrue();
            assertThat(c.loser().sameWrite(lost)).isTrue();
            assertThat(c.detectedBy()).isEqualTo("b");
        });
    }

    @Test
    void theOriginUndoesItsLostWritesAndRecordsThem() {
        MemStore aStore = new MemStore();
        Replica a = new Replica("a", aStore);
        a.write(put("profiles", "kept", "v1"), 10);
        a.write(put("profiles", "kept", "v2 lost"), 11);
        a.write(put("profiles", "created-then-lost", "x"), 12);
        a.write(put("sessions", "s", "not owned: stays"), 13);

        Replica.Reverted counted = a.lostWrites(1, 4, ks -> ks.equals("profiles"));
        assertThat(counted.writes()).isEqualTo(2);
        assertThat(counted.firstMillis()).isEqualTo(11);
        assertThat(counted.lastMillis()).isEqualTo(12);

        a.revertLost(1, 4, ks -> ks.equals("profiles"));
        // "kept" lost its only sibling: it is gone until the survivors' snapshot brings back v1.
        assertThat(aStore.state("profiles", "kept")).isEmpty();
        assertThat(aStore.state("profiles", "created-then-lost")).isEmpty();
        assertThat(aStore.state("sessions", "s")).isPresent();
        assertThat(aStore.conflicts).hasSize(2).allMatch(Conflict::isLoss);
        assertThat(aStore.watermark("a")).isEqualTo(4);
        // A later write follows on from the last sequence: none is ever numbered twice.
        assertThat(a.write(put("profiles", "after", "y"), 20).entry().seq()).isEqualTo(5);
        assertThat(List.of(a.store().readLog("a", 2, 10).size())).containsExactly(4);
    }
}
