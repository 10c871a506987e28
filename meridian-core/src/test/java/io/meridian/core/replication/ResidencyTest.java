package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A keyspace's residency on the replication path: regions outside it receive and keep each write
 * withheld (its place in the origin's sequence, nothing of its key or value), regions inside it
 * refuse a withheld write until it arrives whole, and only regions inside it count as holding
 * its writes.
 */
class ResidencyTest {
    private static final byte[] MARKER = "marker-4f1d9c".getBytes(StandardCharsets.UTF_8);
    /** "eu" data lives in eu1 and eu2 only; "open" anywhere. */
    private static final Residency RESIDENCY = new Residency(Map.of("eu", Set.of("eu1", "eu2")));
    private static final ReplicationMachine.Settings SETTINGS = new ReplicationMachine.Settings(300, 1_000, 100, 1_000, 200);

    private static Replica replica(String region, MemStore store) {
        Replica r = new Replica(region, store);
        r.residency(RESIDENCY);
        return r;
    }

    private static Replica.Write put(String keyspace, String key) {
        return Replica.Write.put(keyspace, key, MARKER, "text/plain", "");
    }

    @Test
    void aRegionOutsideKeepsOnlyTheWritesPlaceInTheSequenceAndPassesItOnWithheld() {
        Replica eu1 = replica("eu1", new MemStore());
        MemStore usDisk = new MemStore();
        Replica us = replica("us", usDisk);
        Entry resident = eu1.write(put("eu", "alice@example.com"), 10).entry();
        Entry open = eu1.write(put("open", "k"), 11).entry();

        Entry sent = RESIDENCY.forTarget(resident, "us");
        assertThat(sent.isWithheld()).isTrue();
        assertThat(sent.key()).isEmpty();
        assertThat(sent.value()).isEmpty();
        assertThat(sent.idempotency().isNone()).isTrue();
        assertThat(sent.stamp()).isEqualTo(resident.stamp());
        assertThat(RESIDENCY.forTarget(resident, "eu2")).as("inside: whole").isSameAs(resident);
        assertThat(RESIDENCY.forTarget(open, "us")).isSameAs(open);

        assertThat(us.apply(sent, 12)).isInstanceOf(Replica.Applied.Outside.class);
        assertThat(us.apply(open, 12)).isInstanceOf(Replica.Applied.Accepted.class);
        assertThat(usDisk.watermark("eu1")).as("the sequence goes on past the withheld write").isEqualTo(2);
        assertThat(usDisk.state("eu", "alice@example.com")).isEmpty();
        assertThat(usDisk.readLog("eu1", 1, 10).getFirst().isWithheld()).as("what it relays on").isTrue();
        assertThat(usDisk.readLog("eu1", 1, 10).getFirst().key()).isEmpty();
        assertThat(usDisk.current("open", "k")).isPresent();
    }

    @Test
    void aWholeWriteArrivingOutsideIsKeptWithheldAnyway() {
        Replica eu1 = replica("eu1", new MemStore());
        MemStore usDisk = new MemStore();
        Replica us = replica("us", usDisk);
        Entry resident = eu1.write(put("eu", "k"), 10).entry();
        // A sender that does not withhold (an older node): the receiver still keeps nothing of it.
        Replica.Applied applied = us.apply(resident, 11);
        assertThat(applied).isInstanceOf(Replica.Applied.Outside.class);
        assertThat(((Replica.Applied.Outside) applied).entry().isWithheld()).isTrue();
        assertThat(usDisk.state("eu", "k")).isEmpty();
        assertThat(usDisk.readLog("eu1", 1, 10).getFirst().value()).isEmpty();
        // Nor from a snapshot.
        assertThat(us.installState(resident)).isEmpty();
        assertThat(usDisk.state("eu", "k")).isEmpty();
    }

    @Test
    void aRegionInsideRefusesAWithheldWriteUntilItArrivesWhole() {
        Replica eu1 = replica("eu1", new MemStore());
        MemStore eu2Disk = new MemStore();
        Replica eu2 = replica("eu2", eu2Disk);
        Replica us = replica("us", new MemStore());
        Entry resident = eu1.write(put("eu", "k"), 10).entry();
        Entry next = eu1.write(put("open", "k"), 11).entry();
        us.apply(RESIDENCY.forTarget(resident, "us"), 12);
        us.apply(next, 12);

        // us relays eu1's writes to eu2 from its own log: withheld, so eu2 refuses them and stays behind.
        List<Entry> relayed = us.store().readLog("eu1", 1, 10).stream().map(e -> RESIDENCY.forTarget(e, "eu2")).toList();
        assertThat(eu2.apply(relayed.get(0), 13)).isInstanceOf(Replica.Applied.Incomplete.class);
        assertThat(eu2.apply(relayed.get(1), 13)).isInstanceOf(Replica.Applied.Gap.class);
        assertThat(eu2Disk.watermark("eu1")).isZero();

        // From eu1 itself it arrives whole.
        assertThat(eu2.apply(resident, 14)).isInstanceOf(Replica.Applied.Accepted.class);
        assertThat(eu2Disk.current("eu", "k").orElseThrow().value()).isEqualTo(MARKER);
        assertThat(eu2.apply(relayed.get(1), 14)).isInstanceOf(Replica.Applied.Accepted.class);
    }

    @Test
    void onlyRegionsInsideTheResidencyCountAsHoldingItsWrites() {
        ReplicationMachine eu1 = new ReplicationMachine(replica("eu1", new MemStore()), List.of("eu1", "eu2", "us"), SETTINGS);
        Entry resident = eu1.write(put("eu", "k"), 10).entry();
        Entry open = eu1.write(put("open", "k"), 11).entry();
        assertThat(eu1.exposure().all().keySet()).containsExactly("eu", "open");

        eu1.onAck("us", new VersionVector(Map.of("eu1", open.seq())));
        assertThat(eu1.exposure().of("open").writes()).isZero();
        assertThat(eu1.exposure().of("eu").writes()).as("us may not hold it: still only here").isEqualTo(1);
        assertThat(eu1.exposure().held("eu", resident.seq())).isFalse();
        assertThat(eu1.exposure().held("open", open.seq())).isTrue();

        eu1.onAck("eu2", new VersionVector(Map.of("eu1", resident.seq())));
        assertThat(eu1.exposure().of("eu").writes()).isZero();
        assertThat(eu1.exposure().held("eu", resident.seq())).isTrue();
    }

    @Test
    void anEmptyRegionAsksARegionInsideItsResidenciesForASnapshotFirst() {
        ReplicationMachine eu1 = new ReplicationMachine(replica("eu1", new MemStore()), List.of("us", "ap", "eu1", "eu2"), SETTINGS);
        assertThat(eu1.bootstrapOrder()).containsExactly("eu2", "us", "ap");
        assertThat(eu1.nextBootstrapStep(0, true)).isEqualTo(new ReplicationMachine.BootstrapStep.Fetch("eu2"));
        ReplicationMachine us = new ReplicationMachine(replica("us", new MemStore()), List.of("us", "ap", "eu1", "eu2"), SETTINGS);
        assertThat(us.bootstrapOrder()).as("no residency of its own: the configured order").containsExactly("ap", "eu1", "eu2");
    }

    @Test
    void aKeyspaceThatMayLiveInOneRegionOnlyWaitsForNoCopy() {
        Replica only = new Replica("eu1", new MemStore());
        only.residency(new Residency(Map.of("eu", Set.of("eu1"))));
        ReplicationMachine eu1 = new ReplicationMachine(only, List.of("eu1", "us"), SETTINGS);
        eu1.write(put("eu", "k"), 10);
        eu1.write(put("open", "k"), 11);
        assertThat(eu1.exposure().all().keySet()).containsExactly("open");
    }
}
