package io.meridian.core.cost;

/** The three kinds of connection between regions, as the lab's WAN emulator names its links. */
public enum Transport {
    /** Forwarded requests, health probes, canaries, status: the HTTP API, region to region. */
    HTTP,
    /** Asynchronous replication streams and snapshots (gRPC). */
    REPLICATION,
    /** Raft: strong keyspaces and the control plane (Ratis over gRPC). */
    CONSENSUS;

    /** Its name in documents: {@code http}, {@code replication}, {@code consensus}. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
