package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicationMachineTest {
    private static final List<String> REGIONS = List.of("a", "b", "c");
    private static final ReplicationMachine.Settings SETTINGS = new ReplicationMachine.Settings(300, 1_000, 100, 1_000, 200);

    private static ReplicationMachine machine(String region) {
        return new ReplicationMachine(new Replica(region, new MemStore()), REGIONS, SETTINGS);
    }

    private static Replica.Write put(String key) {
        return Replica.Write.put("ks", key, key.getBytes(StandardCharsets.UTF_8), "text/plain", "");
    }

    @Test
    void aPeerHeardFromIsAskedForItsOwnWritesAndASilentOnesAreAskedOfEveryone() {
        ReplicationMachine a = machine("a");
        Map<String, Set<String>> plan = a.tick(1_000, Map.of("b", 900L, "c", 500L)).plan();
        // c was last heard 500 ms ago (> 300): its writes are asked of b, and c is still asked for its own.
        assertThat(plan).isEqualTo(Map.of("b", Set.of("b", "c"), "c", Set.of("c")));
        assertThat(a.tick(1_000, Map.of("b", 900L, "c", 950L)).plan()).isEqualTo(Map.of("b", Set.of("b"), "c", Set.of("c")));
    }

    @Test
    void freshnessRisesOnlyWhenTheSendersWritesAreAllApplied() {
        ReplicationMachine b = machine("b");
        ReplicationMachine a = machine("a");
        Entry e1 = b.write(put("k1"), 100).entry();
        Entry e2 = b.write(put("k2"), 110).entry();
        assertThat(a.stalenessMillis("b", 200)).isEmpty();
        // A batch carrying only e1 while b is at 2: a does not hold all of b's writes up to the send.
        a.onBatch("b", List.of(e1), 120, b.store().watermarks(), 130);
        assertThat(a.stalenessMillis("b", 200)).isEmpty();
        assertThat(a.entriesBehind("b")).isEqualTo(1);
        a.onBatch("b", List.of(e2), 150, b.store().watermarks(), 160);
        assertThat(a.stalenessMillis("b", 200)).contains(50L);
        assertThat(a.entriesBehind("b")).isZero();
        // A heartbeat moves freshness on; an older, reordered one does not move it back.
        a.onBatch("b", List.of(), 190, b.store().watermarks(), 195);
        a.onBatch("b", List.of(), 170, b.store().watermarks(), 196);
        assertThat(a.freshUntil("b")).contains(190L);
        assertThat(a.stalenessMillis("a", 1_000)).contains(0L);
    }

    @Test
    void aTombstoneGoesOnlyWhenEveryPeerAcknowledgedIt() {
        ReplicationMachine a = machine("a");
        a.write(put("k"), 10);
        a.write(Replica.Write.delete("ks", "k", ""), 20);
        VersionVector mine = a.store().watermarks();
        a.onAck("b", mine);
        assertThat(a.tick(30, Map.of()).tombstonesCollected()).isZero();
        a.onAck("c", mine);
        assertThat(a.tick(40, Map.of()).tombstonesCollected()).isEqualTo(1);
        assertThat(a.tombstonesCollected()).isEqualTo(1);
        assertThat(a.store().state("ks", "k")).isEmpty();
    }

    @Test
    void anEmptyRegionAsksEachPeerInTurnPausesBetweenRoundsAndStartsEmptyAfterTheWait() {
        ReplicationMachine a = machine("a");
        assertThat(a.nextBootstrapStep(0, true)).isEqualTo(new ReplicationMachine.BootstrapStep.Fetch("b"));
        a.snapshotFailed("b", "refused");
        assertThat(a.nextBootstrapStep(10, true)).isEqualTo(new ReplicationMachine.BootstrapStep.Fetch("c"));
        a.snapshotFailed("c", "timed out");
        assertThat(a.nextBootstrapStep(20, true)).isEqualTo(new ReplicationMachine.BootstrapStep.Pause(200));
        assertThat(a.nextBootstrapStep(220, true)).isEqualTo(new ReplicationMachine.BootstrapStep.Fetch("b"));
        a.snapshotFailed("b", "refused again");
        ReplicationMachine.BootstrapStep last = a.nextBootstrapStep(1_000, true);
        assertThat(last).isInstanceOfSatisfying(ReplicationMachine.BootstrapStep.Done.class, done -> {
            assertThat(done.from()).isEmpty();
            assertThat(done.why()).contains("b: refused again", "c: timed out", "starting empty");
        });
    }

    @Test
    void aSnapshotEndsTheBootstrapAndARegionWithDataSkipsIt() {
        ReplicationMachine b = machine("b");
        Entry e = b.write(put("k"), 10).entry();
        ReplicationMachine a = machine("a");
        assertThat(a.nextBootstrapStep(0, true)).isEqualTo(new ReplicationMachine.BootstrapStep.Fetch("b"));
        a.installChunk(List.of(e));
        a.finishInstall("b", b.store().watermarks(), e.hlc());
        assertThat(a.nextBootstrapStep(5, false)).isEqualTo(new ReplicationMachine.BootstrapStep.Done(Optional.of("b"), "installed a snapshot"));
        assertThat(a.store().watermark("b")).isEqualTo(1);
        assertThat(a.bootstrappedFrom()).isEqualTo("b");
        assertThat(machine("c").nextBootstrapStep(0, false)).isInstanceOf(ReplicationMachine.BootstrapStep.Done.class);
    }

    @Test
    void aSnapshotInstalledWhileThisRegionWritesKeepsItsNewWritesInTheLogAndDropsOnlyTheGap() {
        ReplicationMachine b = machine("b");
        ReplicationMachine a = machine("a");
        a.write(put("a1"), 10);
        for (int i = 0; i < 5; i++) {
            b.write(put("b" + i), 10 + i);
        }
        VersionVector snapshot = b.store().watermarks(); // {b=5}, and none of a's writes
        Entry own = a.write(put("a2"), 20).entry(); // written while the snapshot's chunks install
        a.installChunk(List.of(b.store().state("ks", "b4").orElseThrow().winner()));
        a.finishInstall("b", snapshot, b.store().highestHlc());
        // a's own writes stay in its log for its peers to fetch: a peer at a=0 is served, not sent to a snapshot.
        assertThat(a.store().logStart("a")).isEqualTo(1);
        assertThat(a.store().readLog("a", own.seq(), 1)).containsExactly(own);
        // b's log had nothing of what the snapshot stands for: it starts after the snapshot, with no gap.
        assertThat(a.store().watermark("b")).isEqualTo(5);
        assertThat(a.store().logStart("b")).isEqualTo(6);
    }

    private static io.meridian.core.Idempotency key(String key, long fingerprint) {
        return new io.meridian.core.Idempotency(key, fingerprint, false);
    }

    @Test
    void aRetriedWriteIsAnsweredAsTheFirstWasInItsRegionAndInEveryRegionItReached() {
        ReplicationMachine a = machine("a");
        ReplicationMachine b = machine("b");
        Replica.Written first = a.write(put("k").idempotent(key("order-1", 11)), 100);
        assertThat(first.replayed()).isFalse();
        assertThat(first.created()).isTrue();
        assertThat(first.entry().idempotency().created()).isTrue();
        // Retried in a: the first write, answered again; nothing new is logged.
        Replica.Written again = a.replay("ks", key("order-1", 11), 200).orElseThrow();
        assertThat(again.replayed()).isTrue();
        assertThat(again.created()).isTrue();
        assertThat(again.entry().stamp()).isEqualTo(first.entry().stamp());
        assertThat(again.entry().key()).isEqualTo("k");
        assertThat(a.store().watermark("a")).isEqualTo(1);
        // The same key with another request: refused.
        assertThatThrownBy(() -> a.replay("ks", key("order-1", 12), 200)).isInstanceOfSatisfying(
                io.meridian.core.MeridianException.class,
                e -> assertThat(e.type()).isEqualTo(io.meridian.core.ProblemType.IDEMPOTENCY_KEY_REUSED));
        // Another keyspace's key of the same name is another key.
        assertThat(a.replay("other", key("order-1", 11), 200)).isEmpty();
        // b has not received the write: a retry there would be applied (the write is not there to find).
        assertThat(b.replay("ks", key("order-1", 11), 200)).isEmpty();
        b.onBatch("a", List.of(first.entry()), 150, a.store().watermarks(), 160);
        Replica.Written inB = b.replay("ks", key("order-1", 11), 200).orElseThrow();
        assertThat(inB.entry().stamp()).isEqualTo(first.entry().stamp());
        assertThat(inB.created()).isTrue();
        // A key kept past its lifetime is forgotten: the settings keep keys a day.
        long day = 24 * 3_600_000L;
        assertThat(b.replay("ks", key("order-1", 11), 100 + day)).isPresent();
        assertThat(b.replay("ks", key("order-1", 11), 101 + day)).isEmpty();
        b.tick(101 + day, Map.of());
        assertThat(b.store().idempotent("ks", "order-1", 0)).isEmpty();
    }

    @Test
    void conflictsAreCountedPerKeyspace() {
        ReplicationMachine a = machine("a");
        ReplicationMachine b = machine("b");
        a.write(put("k"), 100);
        Entry concurrent = b.write(put("k"), 100).entry();
        Entry elsewhere = b.write(put("j"), 101).entry();
        a.onBatch("b", List.of(concurrent, elsewhere), 120, b.store().watermarks(), 130);
        assertThat(a.conflictsDetected()).isEqualTo(1);
        assertThat(a.conflictsByKeyspace()).isEqualTo(Map.of("ks", 1L));
        assertThat(machine("c").conflictsByKeyspace()).isEmpty();
    }

    @Test
    void aWriteWithoutAKeyKeepsNone() {
        ReplicationMachine a = machine("a");
        a.write(put("k"), 100);
        assertThat(a.replay("ks", io.meridian.core.Idempotency.NONE, 200)).isEmpty();
        assertThat(((MemStore) a.store()).idempotencyKeys).isEmpty();
    }
}
