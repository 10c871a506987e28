package io.meridian.bench;

import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Hlc;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.VersionVector;
import io.meridian.storage.ReplicatedStore;
import io.meridian.storage.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a receiving region spends applying a peer's writes, per entry, on real RocksDB: a batch
 * of {@code batch} 100-byte PUTs from another region, each decided by {@link Replica#apply}
 * (watermark, fence, the key's current state, the merge) and committed with its log entry,
 * watermark, change-feed position and HLC. The write-ahead log is not synced (the receiver syncs
 * once per batch, the same in every variant), so this is the CPU side of applying.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ApplyBench {
    /** Entries per received batch. */
    @Param({"1", "32", "256"})
    public int batch;

    /** Distinct keys the writes go to. */
    @Param({"10000"})
    public int keys;

    private Path dir;
    private Store store;
    private Replica replica;
    private long seq;
    private long wall;
    private final byte[] value = "x".repeat(100).getBytes(java.nio.charset.StandardCharsets.UTF_8);

    @Setup
    public void open() throws IOException {
        dir = Files.createTempDirectory("apply-bench");
        store = Store.open(dir, Set.of("sessions"), System::currentTimeMillis);
        replica = new Replica("a", new ReplicatedStore(store));
        wall = System.currentTimeMillis();
    }

    @TearDown
    public void close() throws IOException {
        store.close();
        org.apache.ratis.util.FileUtils.deleteFully(dir);
    }

    /** One batch; the time per entry is the score divided by {@code batch}. */
    @Benchmark
    public int applyBatch() {
        int accepted = 0;
        for (int i = 0; i < batch; i++) {
            seq++;
            Entry e = new Entry("b", seq, new Hlc(wall + seq, 0), "sessions", "k" + (seq * 7919 % keys), Entry.Op.PUT, value,
                    "text/plain", "", new VersionVector(Map.of("b", seq)));
            if (replica.apply(e, wall + seq) instanceof Replica.Applied.Accepted) {
                accepted++;
            }
        }
        return accepted;
    }
}
