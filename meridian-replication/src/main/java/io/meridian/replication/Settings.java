package io.meridian.replication;

import io.meridian.core.replication.StreamCodec;
import java.time.Duration;

/**
 * Bounds and timings of the replication streams.
 *
 * @param heartbeat      how often a sender with nothing to ship sends an empty batch: it proves
 *                       the link alive and lets the receiver bound its staleness
 * @param windowEntries  entries per origin in flight (sent, unacknowledged) per stream
 * @param retransmit     with entries in flight and no acknowledgement for this long, resend from the last acknowledged point
 * @param batchEntries   entries per batch at most
 * @param batchBytes     value bytes per batch at most (a single larger value still goes alone)
 * @param reconnectMin   first wait before reconnecting a broken stream; doubles up to {@code reconnectMax}
 * @param linger         least time between two batches on a stream: writes arriving meanwhile share the next
 *                       batch (and the receiver's fsync and acknowledgement) at the cost of this much delay
 * @param compression    whether batches sent are deflated ({@link StreamCodec}); receivers read either
 */
public record Settings(Duration heartbeat, int windowEntries, Duration retransmit, int batchEntries, long batchBytes,
                       Duration reconnectMin, Duration reconnectMax, Duration linger, StreamCodec.Compression compression) {
    public static final Settings DEFAULT = new Settings(Duration.ofMillis(100), 10_000, Duration.ofSeconds(3), 512,
            4L << 20, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(2), StreamCodec.Compression.DEFLATE);

    public Settings withHeartbeat(Duration newHeartbeat) {
        return new Settings(newHeartbeat, windowEntries, retransmit, batchEntries, batchBytes, reconnectMin, reconnectMax, linger,
                compression);
    }

    public Settings withLinger(Duration newLinger) {
        return new Settings(heartbeat, windowEntries, retransmit, batchEntries, batchBytes, reconnectMin, reconnectMax, newLinger,
                compression);
    }

    public Settings withCompression(StreamCodec.Compression newCompression) {
        return new Settings(heartbeat, windowEntries, retransmit, batchEntries, batchBytes, reconnectMin, reconnectMax, linger,
                newCompression);
    }
}
