package io.meridian.replication;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meridian.core.replication.Codec;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Outbound;
import io.meridian.core.replication.StreamCodec;
import io.meridian.core.replication.VersionVector;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending end of one replication stream, opened by a subscriber region: it ships what the
 * subscriber asked for from the log, as the pure {@link Outbound} decides, on a virtual thread
 * that sleeps until there is something new (a {@link Signal}) or a heartbeat is due. gRPC's
 * own flow control is respected: nothing is queued while the transport is not ready.
 */
final class Sender implements StreamObserver<byte[]> {
    private static final Logger log = LoggerFactory.getLogger(Sender.class);

    private final ReplicationHost host;
    private final Signal signal;
    private final Settings settings;
    private final ServerCallStreamObserver<byte[]> out;
    private final AtomicLong bytesSent = new AtomicLong();
    /** This stream's compact forms: batches out (the ship loop's alone), acknowledgements in (gRPC delivers them one at a time). */
    private final StreamCodec.Encoder encoder;
    private final StreamCodec.Decoder decoder = new StreamCodec.Decoder();
    private Outbound outbound;
    private String subscriber;
    private Thread loop;
    /** When the subscriber was last told it needs a snapshot (System.nanoTime), or 0: told again while it still does. */
    private long snapshotToldNanos;
    private static final Duration SNAPSHOT_RETELL = Duration.ofSeconds(5);
    private volatile boolean closed;

    Sender(ReplicationHost host, Signal signal, Settings settings, ServerCallStreamObserver<byte[]> out) {
        this.host = host;
        this.signal = signal;
        this.settings = settings;
        this.out = out;
        this.encoder = new StreamCodec.Encoder(settings.compression());
        out.setOnReadyHandler(signal::fire);
        out.setOnCancelHandler(() -> closed = true);
    }

    /** What this stream has shipped and had acknowledged, for lag. */
    record View(String subscriber, VersionVector acked, long inFlight, long bytesSent, boolean snapshotNeeded) {
    }

    synchronized View view() {
        return outbound == null ? null : new View(subscriber, outbound.acked(), outbound.inFlight(), bytesSent.get(),
                outbound.snapshotNeeded());
    }

    boolean isOpen() {
        return !closed;
    }

    @Override
    public void onNext(byte[] bytes) {
        Codec.Message message;
        try {
            message = decoder.decode(bytes);
        } catch (IllegalArgumentException e) {
            log.warn("closing a replication stream from {}: {}", subscriber, e.getMessage());
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            closed = true;
            return;
        }
        switch (message) {
            case Codec.Message.Subscribe s -> subscribe(s);
            case Codec.Message.Ack a -> {
                synchronized (this) {
                    if (outbound != null) {
                        outbound.onAck(a.watermarks(), host.wallMillis());
                    }
                }
                host.onAck(a.region(), a.watermarks());
                signal.fire();
            }
            default -> log.warn("{} sent a {} on its subscription; ignored", subscriber, message.getClass().getSimpleName());
        }
    }

    private void subscribe(Codec.Message.Subscribe s) {
        synchronized (this) {
            if (outbound == null) {
                subscriber = s.region();
                outbound = new Outbound(s.region(), settings.windowEntries(), settings.retransmit().toMillis());
            }
            outbound.subscribe(s.from(), host.wallMillis());
            snapshotToldNanos = 0;
            if (loop == null) {
                loop = Thread.ofVirtual().name("ship-" + host.region() + "-to-" + s.region()).start(this::ship);
                log.info("{} subscribed to origins {}", s.region(), s.from().keySet());
            } else {
                log.debug("{} resubscribed to {}", s.region(), s.from());
            }
        }
        signal.fire();
    }

    private void ship() {
        long lastSent = 0;
        long lastSentNanos = System.nanoTime() - settings.linger().toNanos();
        try {
            while (!closed) {
                long seen = signal.generation();
                if (!out.isReady()) {
                    signal.awaitAfter(seen, settings.heartbeat().toMillis());
                    continue;
                }
                long sinceLast = System.nanoTime() - lastSentNanos;
                if (sinceLast < settings.linger().toNanos()) {
                    Thread.sleep(Duration.ofNanos(settings.linger().toNanos() - sinceLast));
                }
                long now = host.wallMillis();
                List<Entry> entries;
                synchronized (this) {
                    entries = outbound.next(host.log(), settings.batchEntries(), settings.batchBytes(), now);
                }
                if (!entries.isEmpty()) {
                    entries = entries.stream().map(e -> host.forPeer(subscriber, e)).toList();
                }
                boolean tellSnapshot;
                synchronized (this) {
                    long nowNanos = System.nanoTime();
                    // Again every few seconds while it still does: a subscriber busy with another snapshot drops the request.
                    tellSnapshot = outbound.snapshotNeeded()
                            && (snapshotToldNanos == 0 || nowNanos - snapshotToldNanos >= SNAPSHOT_RETELL.toNanos());
                    if (tellSnapshot) {
                        snapshotToldNanos = nowNanos;
                    }
                }
                if (tellSnapshot) {
                    log.warn("{} needs entries this log no longer holds: it must fetch a snapshot", subscriber);
                    out.onNext(encoder.encode(new Codec.Message.SnapshotNeeded(host.region())));
                }
                if (!entries.isEmpty() || now - lastSent >= settings.heartbeat().toMillis()) {
                    List<Codec.Trace> traces = entries.isEmpty() ? List.of() : host.traces(entries);
                    if (!traces.isEmpty()) {
                        out.onNext(encoder.encode(new Codec.Message.Traces(traces)));
                    }
                    byte[] bytes = encoder.encode(new Codec.Message.Batch(host.region(), now, host.log().shippableWatermarks(), entries));
                    out.onNext(bytes);
                    bytesSent.addAndGet(bytes.length);
                    lastSent = now;
                    lastSentNanos = System.nanoTime();
                }
                if (entries.isEmpty()) {
                    signal.awaitAfter(seen, settings.heartbeat().toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!closed) {
                log.warn("replication stream to {} failed: {}", subscriber, e.toString());
                closed = true;
                try {
                    out.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
                } catch (RuntimeException ignored) {
                    // the stream is already gone
                }
            }
        } finally {
            encoder.close(); // only this loop encodes
        }
    }

    @Override
    public void onError(Throwable t) {
        closed = true;
        decoder.close();
        signal.fire();
        log.debug("replication stream from {} broke: {}", subscriber, t.toString());
    }

    @Override
    public void onCompleted() {
        closed = true;
        decoder.close();
        signal.fire();
        try {
            out.onCompleted();
        } catch (RuntimeException ignored) {
            // already closed
        }
    }
}
