package io.meridian.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Read models on real RocksDB: states and positions move together, a rebuild takes over whole and leaves nothing of the old one. */
class ProjectionStoreTest {
    @TempDir
    Path dir;

    private static ProjectionStore.State state(long version, String json) {
        return new ProjectionStore.State(version, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRebuildServesOnlyOnceFinishedThenTheOldGenerationIsGone() {
        try (Store store = Store.open(dir, Set.of("orders"), () -> 0)) {
            ProjectionStore p = new ProjectionStore(store);
            assertThat(p.activeGeneration("status")).isEqualTo(1);
            p.save("status", 1, Map.of("o-1", state(3, "{\"a\":1}")), List.of(new ProjectionStore.Snapshot("o-1", 2, "{}".getBytes())), 7);
            assertThat(p.position("status", 1)).isEqualTo(7);
            long g = p.startRebuild("status");
            assertThat(g).isEqualTo(2);
            assertThat(p.rebuilding("status")).hasValue(2);
            p.save("status", 2, Map.of("o-1", state(3, "{\"a\":2}")), List.of(), 7);
            assertThat(new String(p.state("status", p.activeGeneration("status"), "o-1").orElseThrow().json())).isEqualTo("{\"a\":1}");
            p.finishRebuild("status", 2);
            assertThat(p.activeGeneration("status")).isEqualTo(2);
            assertThat(p.rebuilding("status")).isEmpty();
            assertThat(new String(p.state("status", 2, "o-1").orElseThrow().json())).isEqualTo("{\"a\":2}");
            assertThat(p.state("status", 1, "o-1")).isEmpty();
            assertThat(p.position("status", 1)).isZero();
            assertThat(p.snapshotAtOrBefore("status", 1, "o-1", 10)).isEmpty();
            assertThat(p.startRebuildAfterDrops("status", 4)).isEqualTo(3);
            assertThat(p.droppedSeen("status")).isEqualTo(4);
        }
    }

    @Test
    void theNewestSnapshotAtOrBeforeAVersionIsFoundAndNoOtherStreams() {
        try (Store store = Store.open(dir, Set.of("orders"), () -> 0)) {
            ProjectionStore p = new ProjectionStore(store);
            p.save("s", 1, Map.of(), List.of(new ProjectionStore.Snapshot("a", 100, "1".getBytes()),
                    new ProjectionStore.Snapshot("a", 200, "2".getBytes()), new ProjectionStore.Snapshot("ab", 50, "x".getBytes())), 1);
            assertThat(p.snapshotAtOrBefore("s", 1, "a", 250).orElseThrow().version()).isEqualTo(200);
            assertThat(p.snapshotAtOrBefore("s", 1, "a", 199).orElseThrow().version()).isEqualTo(100);
            assertThat(p.snapshotAtOrBefore("s", 1, "a", 99)).isEmpty();
            assertThat(p.snapshotAtOrBefore("s", 1, "ab", 99).orElseThrow().version()).isEqualTo(50);
            assertThat(p.snapshotAtOrBefore("s", 1, "b", 1_000)).isEmpty();
        }
    }
}
