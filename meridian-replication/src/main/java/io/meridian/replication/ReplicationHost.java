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
     * Applies a batch received from {@code batch.region()}, without waiting for it to be durable:
     * the stream acknowledges it only after {@link #durable} has returned for it, and meanwhile
     * applies the batches that follow, so one sync can cover several.
     */
    Applied apply(Codec.Message.Batch batch);

    /**
     * As {@link #apply(Codec.Message.Batch)}, for a batch the sender preceded with the trace
     * context of some of its writes ({@link Codec.Message.Traces}).
     */
    default Applied apply(Codec.Message.Batch batch, java.util.List<Codec.Trace> traces) {
        return apply(batch);
    }

    /**
     * Makes {@code applied}, and every batch applied before it, durable (waiting for a sync that
     * covers it), then does what follows durability.
     *
     * @return the watermarks to acknowledge to the sender
     */
    VersionVector durable(Applied applied);

    /**
     * A batch applied and not yet known durable.
     *
     * @param watermarks what to acknowledge once it is durable
     * @param ticket     the host's own mark of how far its writes must be synced to cover it
     * @param entries    whether the batch carried entries (a heartbeat does not)
     */
    record Applied(VersionVector watermarks, long ticket, boolean entries) {
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
