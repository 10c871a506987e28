package io.meridian.replication;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.meridian.core.replication.Codec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A region's replication endpoint: peers open streams here to receive the writes it has
 * (its own and, when they ask, those it relays). One {@link Sender} per open stream.
 */
public final class ReplicationServer implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReplicationServer.class);
    private final Server server;
    private final List<Sender> senders = new CopyOnWriteArrayList<>();

    private ReplicationServer(Server server) {
        this.server = server;
    }

    /**
     * @param tls TLS between regions, required of every peer that connects (null: plaintext)
     * @throws IOException when the address cannot be bound (the message names it)
     */
    public static ReplicationServer start(String host, int port, ReplicationHost replicationHost, Signal signal,
                                          Settings settings, PeerTls tls) throws IOException {
        ReplicationServer[] self = new ReplicationServer[1];
        ServerServiceDefinition service = ServerServiceDefinition.builder(Wire.SERVICE)
                .addMethod(Wire.STREAM, ServerCalls.asyncBidiStreamingCall(responses -> {
                    Sender sender = new Sender(replicationHost, signal, settings, (ServerCallStreamObserver<byte[]>) responses);
                    self[0].senders.add(sender);
                    self[0].senders.removeIf(s -> !s.isOpen() && s != sender);
                    return sender;
                }))
                .addMethod(Wire.SNAPSHOT, ServerCalls.asyncServerStreamingCall((request, responses) -> {
                    try {
                        Codec.Message m = Codec.decodeMessage(request);
                        if (!(m instanceof Codec.Message.SnapshotRequest r)) {
                            throw new IllegalArgumentException("expected a snapshot request");
                        }
                        log.info("sending a snapshot to {}", r.region());
                        Codec.Message.SnapshotEnd end = replicationHost.snapshot(r.region(),
                                states -> responses.onNext(Codec.encode(new Codec.Message.SnapshotChunk(states))));
                        responses.onNext(Codec.encode(end));
                        responses.onCompleted();
                        log.info("sent a snapshot of {} states at {} to {}", end.states(), end.watermarks(), r.region());
                    } catch (RuntimeException e) {
                        responses.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
                    }
                }))
                .build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port),
                        tls == null ? io.grpc.InsecureServerCredentials.create() : tls.serverCredentials())
                .addService(service)
                .maxInboundMessageSize(Wire.MAX_MESSAGE_BYTES)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .build();
        self[0] = new ReplicationServer(server);
        try {
            server.start();
        } catch (IOException e) {
            Throwable cause = e.getCause() instanceof java.net.BindException ? e.getCause() : e;
            throw new IOException(new io.meridian.core.config.HostPort(host, port).bindFailure("replication", cause.getMessage()), e);
        }
        return self[0];
    }

    public int port() {
        return server.getPort();
    }

    /** Per subscriber (the latest open stream of each): what it has acknowledged and what this region sent it. */
    public Map<String, StreamView> streams() {
        Map<String, StreamView> views = new java.util.TreeMap<>();
        for (Sender s : senders) {
            Sender.View v = s.view();
            if (v != null && s.isOpen()) {
                views.put(v.subscriber(), new StreamView(v.subscriber(), v.acked(), v.inFlight(), v.bytesSent(), v.snapshotNeeded()));
            }
        }
        return views;
    }

    /** Bytes sent to each subscriber over every stream so far, closed ones included. */
    public Map<String, Long> bytesSent() {
        Map<String, Long> bytes = new java.util.TreeMap<>();
        for (Sender s : new ArrayList<>(senders)) {
            Sender.View v = s.view();
            if (v != null) {
                bytes.merge(v.subscriber(), v.bytesSent(), Long::sum);
            }
        }
        return bytes;
    }

    public record StreamView(String subscriber, io.meridian.core.replication.VersionVector acked, long inFlight,
                             long bytesSent, boolean snapshotNeeded) {
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
