package io.meridian.replication;

import io.meridian.core.replication.Codec;
import io.meridian.core.replication.ReplicaStore;
import io.meridian.core.replication.VersionVector;

/** What the replication streams need from the node they run in. */
public interface ReplicationHost {
    String region();

    /** The log and watermarks to ship from; reads must be safe while the node writes. */
    ReplicaStore log();

    long wallMillis();

    /**
     * Applies a batch received from {@code batch.region()} and makes it durable.
     *
     * @return the watermarks to acknowledge to the sender
     */
    VersionVector onBatch(Codec.Message.Batch batch);

    /**
     * As {@link #onBatch(Codec.Message.Batch)}, for a batch the sender preceded with the trace
     * context of some of its writes ({@link Codec.Message.Traces}).
     */
    default VersionVector onBatch(Codec.Message.Batch batch, java.util.List<Codec.Trace> traces) {
        return onBatch(batch);
    }

    /** The trace context of those of {@code entries} made (or received) in a traced request: sent before their batch. */
    default java.util.List<Codec.Trace> traces(java.util.List<io.meridian.core.replication.Entry> entries) {
        return java.util.List.of();
    }

    /** A subscriber acknowledged these watermarks (for lag and for knowing what exists elsewhere). */
    void onAck(String subscriber, VersionVector watermarks);

    /** A peer's log no longer holds what this region lacks: fetch a snapshot from it. */
    void onSnapshotNeeded(String peer);

    /**
     * Streams a consistent snapshot of the replicated keyspaces {@code requester} may hold to
     * {@code chunks}; returns what it covers.
     */
    Codec.Message.SnapshotEnd snapshot(String requester,
                                       java.util.function.Consumer<java.util.List<io.meridian.core.replication.Entry>> chunks);

    /**
     * What {@code peer} may receive of a logged write: the write itself, or less (withheld
     * outside its keyspace's residency).
     */
    default io.meridian.core.replication.Entry forPeer(String peer, io.meridian.core.replication.Entry e) {
        return e;
    }
}
