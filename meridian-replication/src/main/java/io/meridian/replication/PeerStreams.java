package io.meridian.replication;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.meridian.core.replication.Codec;
import io.meridian.core.replication.StreamCodec;
import io.meridian.core.replication.VersionVector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving ends: one stream to every peer region, kept open (reconnecting with backoff),
 * each subscribed to the origins the node's plan assigns to that peer. A received batch is
 * applied by the host as it arrives and acknowledged once the host has made it durable: a
 * stream's {@link Acks} wait for that on their own thread, so the next batches are applied during
 * the sync, and one sync covers all of them (the acknowledgement names the newest).
 */
public final class PeerStreams implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerStreams.class);

    private final ReplicationHost host;
    private final Settings settings;
    private final Map<String, Stream> streams = new LinkedHashMap<>();
    private final ScheduledExecutorService reconnects = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("replication-reconnect").daemon().factory());
    private final io.meridian.core.cost.WanMeter meter;
    private final MeteredChannels channels;
    private volatile boolean closed;

    /**
     * @param peers each peer region and the address this region dials it by
     * @param meter where the streams' connections count their bytes on the wire, and the entries
     *              they carried by keyspace (null: not counted); this end counts them, the sending end does not
     * @param tls   TLS between regions (null: plaintext)
     */
    private final PeerTls tls;

    public PeerStreams(ReplicationHost host, Map<String, io.meridian.core.config.HostPort> peers, Settings settings,
                       io.meridian.core.cost.WanMeter meter, PeerTls tls) {
        this.host = host;
        this.tls = tls;
        this.settings = settings;
        this.meter = meter;
        this.channels = meter == null ? null : new MeteredChannels(meter);
        peers.forEach((peer, address) -> streams.put(peer, new Stream(peer, address)));
    }

    /** Records what entries from {@code peer} carried, by keyspace: their keys' and values' bytes. */
    private void weigh(String peer, java.util.List<io.meridian.core.replication.Entry> entries) {
        if (meter == null) {
            return;
        }
        for (io.meridian.core.replication.Entry e : entries) {
            String label = io.meridian.core.canary.Canary.isCanary(e.keyspace()) ? io.meridian.core.cost.WanMeter.CANARY : e.keyspace();
            meter.weigh(peer, io.meridian.core.cost.Transport.REPLICATION, label,
                    ENTRY_OVERHEAD + e.key().length() + (e.value() == null ? 0 : e.value().length));
        }
    }

    /** An entry's bytes besides its key and value, about (sequence, clock, keyspace id, flags, framing). */
    private static final int ENTRY_OVERHEAD = 16;

    public void start() {
        streams.values().forEach(s -> s.connect(0));
    }

    /** Sets which origins to ask each peer for; a stream whose origins change resubscribes. */
    public void plan(Map<String, Set<String>> originsByPeer) {
        streams.forEach((peer, stream) -> {
            Set<String> origins = new TreeSet<>(originsByPeer.getOrDefault(peer, Set.of(peer)));
            origins.add(peer);
            stream.setOrigins(origins);
        });
    }

    /** What this region knows of each peer's stream. */
    public record View(String peer, boolean connected, long lastBatchMillis, long bytesReceived, Set<String> origins) {
    }

    /**
     * Fetches a snapshot from {@code peer}, handing each chunk of states to {@code chunks}.
     *
     * @throws io.grpc.StatusRuntimeException when the peer cannot be reached or fails
     */
    public Codec.Message.SnapshotEnd fetchSnapshot(String peer, java.time.Duration timeout,
                                                   java.util.function.Consumer<java.util.List<io.meridian.core.replication.Entry>> chunks) {
        Stream stream = streams.get(peer);
        java.util.Iterator<byte[]> responses = ClientCalls.blockingServerStreamingCall(stream.channel, Wire.SNAPSHOT,
                CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS),
                Codec.encode(new Codec.Message.SnapshotRequest(host.region())));
        while (responses.hasNext()) {
            Codec.Message m = Codec.decodeMessage(responses.next());
            switch (m) {
                case Codec.Message.SnapshotChunk c -> {
                    weigh(peer, c.states());
                    chunks.accept(c.states());
                }
                case Codec.Message.SnapshotEnd end -> {
                    return end;
                }
                default -> throw new IllegalStateException("unexpected " + m.getClass().getSimpleName() + " in a snapshot");
            }
        }
        throw new IllegalStateException("the snapshot from " + peer + " ended without its watermarks");
    }

    public Map<String, View> views() {
        Map<String, View> views = new TreeMap<>();
        streams.forEach((peer, s) -> views.put(peer, new View(peer, s.connected, s.lastBatchMillis, s.bytesReceived.get(), s.origins)));
        return views;
    }

    @Override
    public void close() {
        closed = true;
        reconnects.shutdownNow();
        streams.values().forEach(Stream::shutdown);
        if (channels != null) {
            channels.close();
        }
    }

    private final class Stream {
        final String peer;
        final ManagedChannel channel;
        final AtomicLong bytesReceived = new AtomicLong();
        volatile Set<String> origins;
        volatile boolean connected;
        volatile long lastBatchMillis;
        private StreamObserver<byte[]> requests;
        /** The open call's encoder for what this end sends (subscriptions, acknowledgements); a new call starts afresh. */
        private StreamCodec.Encoder encoder;
        private long backoffMillis;

        Stream(String peer, io.meridian.core.config.HostPort address) {
            this.peer = peer;
            this.origins = new TreeSet<>(Set.of(peer));
            this.channel = (channels == null
                    ? NettyChannelBuilder.forAddress(address.host(), address.port(), PeerTls.channelCredentials(tls))
                    : channels.builder(peer, address, io.meridian.core.cost.Transport.REPLICATION, PeerTls.channelCredentials(tls)))
                    .maxInboundMessageSize(Wire.MAX_MESSAGE_BYTES)
                    .keepAliveTime(10, TimeUnit.SECONDS)
                    .build();
        }

        synchronized void setOrigins(Set<String> next) {
            if (!next.equals(origins)) {
                origins = next;
                subscribe();
            }
        }

        void connect(long delayMillis) {
            if (closed) {
                return;
            }
            reconnects.schedule(this::open, delayMillis, TimeUnit.MILLISECONDS);
        }

        private synchronized void open() {
            if (closed) {
                return;
            }
            encoder = new StreamCodec.Encoder();
            Responses responses = new Responses();
            requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(Wire.STREAM, CallOptions.DEFAULT), responses);
            responses.acks.call = requests;
            subscribe();
        }

        /** Sends the current origins from this region's watermarks: the sender resumes from there. */
        private synchronized void subscribe() {
            if (requests == null) {
                return;
            }
            Map<String, Long> from = new TreeMap<>();
            VersionVector watermarks = host.log().watermarks();
            origins.forEach(o -> from.put(o, watermarks.get(o)));
            send(new Codec.Message.Subscribe(host.region(), from));
        }

        private synchronized void send(Codec.Message m) {
            sendOn(requests, m);
        }

        /** Sends on {@code call} if it is still the open one: an acknowledgement late for a broken call is dropped. */
        private synchronized void sendOn(StreamObserver<byte[]> call, Codec.Message m) {
            if (call != null && call == requests) {
                try {
                    requests.onNext(encoder.encode(m));
                } catch (RuntimeException e) {
                    log.debug("send to {} failed: {}", peer, e.toString());
                }
            }
        }

        private synchronized void broken(Throwable t) {
            if (connected) {
                log.info("replication stream from {} broke: {}", peer, t == null ? "closed" : t.getMessage());
            }
            connected = false;
            requests = null;
            backoffMillis = backoffMillis == 0 ? settings.reconnectMin().toMillis()
                    : Math.min(backoffMillis * 2, settings.reconnectMax().toMillis());
            connect(backoffMillis);
        }

        void shutdown() {
            synchronized (this) {
                if (requests != null) {
                    try {
                        requests.onCompleted();
                    } catch (RuntimeException ignored) {
                        // closing anyway
                    }
                }
            }
            channel.shutdownNow();
        }

        /**
         * One call's acknowledgements: each waits on this thread for the host to make its batch
         * durable. Only the newest applied batch is kept: its sync covers the ones before it.
         */
        private final class Acks {
            /** The call these acknowledge on; set once the call is open. */
            volatile StreamObserver<byte[]> call;
            private ReplicationHost.Applied newest;
            private VersionVector lastAck;
            private Thread thread;
            private boolean stopped;

            synchronized void offer(ReplicationHost.Applied applied) {
                if (stopped) {
                    return;
                }
                // The newest's sync covers those it replaces; if any of them carried entries, relays are still to be woken.
                newest = newest == null || applied.entries() || !newest.entries() ? applied
                        : new ReplicationHost.Applied(applied.watermarks(), applied.ticket(), true);
                if (thread == null) {
                    thread = Thread.ofVirtual().name("acks-" + host.region() + "-from-" + peer).start(this::run);
                }
                notifyAll();
            }

            synchronized void stop() {
                stopped = true;
                notifyAll();
            }

            private void run() {
                try {
                    while (true) {
                        ReplicationHost.Applied next;
                        synchronized (this) {
                            while (newest == null && !stopped) {
                                wait();
                            }
                            if (stopped) {
                                return;
                            }
                            next = newest;
                            newest = null;
                        }
                        VersionVector ack = host.durable(next);
                        if (!ack.equals(lastAck)) {
                            lastAck = ack;
                            sendOn(call, new Codec.Message.Ack(host.region(), ack));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    // Nothing more is acknowledged on this call: end it, and the stream reconnects and resubscribes.
                    if (!closed) {
                        log.warn("replication stream from {}: cannot make received writes durable: {}", peer, e.toString());
                    }
                    StreamObserver<byte[]> c = call;
                    if (c instanceof io.grpc.stub.ClientCallStreamObserver<byte[]> client) {
                        client.cancel("received writes could not be made durable", e);
                    }
                }
            }
        }

        private final class Responses implements StreamObserver<byte[]> {
            /** This call's decoder: gRPC delivers one message at a time, in order. */
            private final StreamCodec.Decoder decoder = new StreamCodec.Decoder();
            final Acks acks = new Acks();
            /** Trace contexts sent ahead of the next batch. */
            private List<Codec.Trace> traces = List.of();

            @Override
            public void onNext(byte[] bytes) {
                bytesReceived.addAndGet(bytes.length);
                Codec.Message m = decoder.decode(bytes);
                if (m instanceof Codec.Message.SnapshotNeeded needed && needed.region().equals(peer)) {
                    host.onSnapshotNeeded(peer);
                    return;
                }
                if (m instanceof Codec.Message.Traces t) {
                    traces = t.traces(); // the next batch's
                    return;
                }
                if (!(m instanceof Codec.Message.Batch batch) || !batch.region().equals(peer)) {
                    throw new IllegalStateException("expected a batch from " + peer + ", got " + m.getClass().getSimpleName());
                }
                if (!connected) {
                    synchronized (Stream.this) {
                        connected = true;
                        backoffMillis = 0;
                    }
                    log.info("replication stream from {} is up", peer);
                }
                lastBatchMillis = host.wallMillis();
                weigh(peer, batch.entries());
                List<Codec.Trace> traced = traces;
                traces = List.of();
                acks.offer(traced.isEmpty() ? host.apply(batch) : host.apply(batch, traced));
            }

            @Override
            public void onError(Throwable t) {
                acks.stop();
                decoder.close();
                broken(t);
            }

            @Override
            public void onCompleted() {
                acks.stop();
                decoder.close();
                broken(null);
            }
        }
    }
}
