package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TombstonesTest {
    private static final Entry DELETE = new Entry("a", 5, new Hlc(1, 0), "ks", "k", Entry.Op.DELETE, new byte[0], "", "",
            new VersionVector(Map.of("a", 5L)));

    private static VersionVector vv(long a, long b, long c) {
        return new VersionVector(Map.of("a", a, "b", b, "c", c));
    }

    @Test
    void aTombstoneEveryRegionHasAppliedAndWhoseConcurrentWritesAreHereIsCollectible() {
        assertThat(Tombstones.collectible(DELETE, vv(5, 3, 7), Map.of("b", vv(5, 3, 0), "c", vv(5, 0, 7)), List.of("b", "c"))).isTrue();
    }

    @Test
    void notWhileAPeerHasNotAppliedIt() {
        assertThat(Tombstones.collectible(DELETE, vv(5, 3, 7), Map.of("b", vv(4, 3, 0), "c", vv(5, 0, 7)), List.of("b", "c"))).isFalse();
        assertThat(Tombstones.collectible(DELETE, vv(5, 3, 7), Map.of("b", vv(5, 3, 0)), List.of("b", "c"))).isFalse();
    }

    @Test
    void notWhileAWriteAPeerMadeBeforeApplyingItMayStillArrive() {
        assertThat(Tombstones.collectible(DELETE, vv(5, 2, 7), Map.of("b", vv(5, 3, 0), "c", vv(5, 0, 7)), List.of("b", "c"))).isFalse();
    }

    @Test
    void onlyDeletesAreTombstones() {
        Entry put = new Entry("a", 5, new Hlc(1, 0), "ks", "k", Entry.Op.PUT, new byte[] {1}, "t/p", "", new VersionVector(Map.of("a", 5L)));
        assertThat(Tombstones.collectible(put, vv(5, 3, 7), Map.of("b", vv(5, 3, 0), "c", vv(5, 0, 7)), List.of("b", "c"))).isFalse();
    }
}
