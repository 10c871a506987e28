package io.meridian.replication.strong;

import java.io.IOException;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;

/**
 * A state machine's snapshot files (Ratis's {@link SimpleStateMachineStorage}) that lists its
 * directory only when the latest snapshot may have changed.
 *
 * <p>Ratis's storage lists the directory on every {@link #getLatestSnapshot()} until a snapshot
 * exists, and the leader asks once per append per follower ({@code LogAppender.shouldInstallSnapshot}).
 * A group that has not reached its first snapshot (100,000 entries by default) therefore listed its
 * directory hundreds of times a second under load: 3.2 % of a leader's CPU at 64 concurrent strong
 * writers (docs/benchmarks.md, issue 12, tenth session). Here an empty listing is remembered until
 * a snapshot is recorded through this object: {@link #init}, {@link #updateLatestSnapshot} (a
 * snapshot taken) or a {@link #loadLatestSnapshot} that finds one (a restart, or a snapshot
 * installed from the leader, which the state machines load in {@code reinitialize}).
 */
public final class SnapshotFiles extends SimpleStateMachineStorage {
    /** Counts the starts and the snapshots recorded, bumped after each: an empty listing that raced with one is not remembered. */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
    /** The value of {@link #changes} when a listing last found no snapshot; -1 for none. */
    private volatile long emptyAt = -1;

    @Override
    public void init(RaftStorage storage) throws IOException {
        super.init(storage);
        changes.incrementAndGet();
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        long seen = changes.get();
        if (emptyAt == seen) {
            return null;
        }
        SingleFileSnapshotInfo latest = super.getLatestSnapshot();
        if (latest == null) {
            emptyAt = seen;
        }
        return latest;
    }

    /** Also where {@link #loadLatestSnapshot} records what it found. */
    @Override
    public SingleFileSnapshotInfo updateLatestSnapshot(SingleFileSnapshotInfo info) {
        try {
            return super.updateLatestSnapshot(info);
        } finally {
            if (info != null) {
                changes.incrementAndGet();
            }
        }
    }
}
