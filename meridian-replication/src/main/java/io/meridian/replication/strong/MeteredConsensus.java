package io.meridian.replication.strong;

import io.meridian.core.cost.Transport;
import io.meridian.core.cost.WanMeter;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCall;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Grpc;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.netty.buffer.ByteBuf;
import org.apache.ratis.thirdparty.io.netty.channel.Channel;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelDuplexHandler;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelHandlerContext;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelInboundHandlerAdapter;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelPromise;
import org.apache.ratis.thirdparty.io.netty.channel.EventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.nio.NioEventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * Counts the bytes of the Raft connections other regions open to this one into a
 * {@link WanMeter}, at this (accepting) end, and what they carried by Raft group.
 *
 * <p>Ratis lets us shape its gRPC server ({@link GrpcServices.Customizer}) but not the channels
 * it dials, so every Raft connection is counted where it is accepted: its bytes both ways, as the
 * socket reads and writes them. A connection is known by its remote address only; whose it is
 * comes from the first Raft message on it: a server's messages name their sender (a region's
 * peer id is its name), and a client's name its client id, which this process's clients make
 * from their region ({@link #clientId}). Bytes before that are held and then counted for the
 * sender; a connection that never says who it is (a region this configuration does not know) is
 * not counted.
 */
final class MeteredConsensus implements GrpcServices.Customizer, AutoCloseable {
    private final WanMeter meter;
    private final Map<ByteString, String> regionsById = new HashMap<>();
    private final Map<Long, String> regionsByTag = new HashMap<>();
    private final Map<ByteString, String> labels;
    private final Map<SocketAddress, Connection> connections = new ConcurrentHashMap<>();
    private final EventLoopGroup boss = new NioEventLoopGroup(1, Thread.ofPlatform().name("consensus-accept-", 0).daemon().factory());
    private final EventLoopGroup workers = new NioEventLoopGroup(0, Thread.ofPlatform().name("consensus-io-", 0).daemon().factory());

    /**
     * @param regions every configured region (the senders a connection may name)
     * @param labels  what each Raft group carries (a keyspace, {@link WanMeter#CONTROL}), by group id
     */
    MeteredConsensus(WanMeter meter, Iterable<String> regions, Map<ByteString, String> labels) {
        this.meter = meter;
        for (String region : regions) {
            regionsById.put(ByteString.copyFrom(region, StandardCharsets.UTF_8), region);
            regionsByTag.put(tag(region), region);
        }
        this.labels = Map.copyOf(labels);
    }

    /**
     * A Raft client id that says which region's process it belongs to: the upper half is a tag of
     * the region's name, the lower half random (ids stay unique: a server's retry cache keys on them).
     */
    static ClientId clientId(String region) {
        return ClientId.valueOf(new UUID(tag(region), ThreadLocalRandom.current().nextLong()));
    }

    private static long tag(String region) {
        return UUID.nameUUIDFromBytes(("meridian-region:" + region).getBytes(StandardCharsets.UTF_8)).getMostSignificantBits();
    }

    /** The region a Raft request's sender id names, or null. */
    String regionOf(ByteString requestorId) {
        String region = regionsById.get(requestorId);
        if (region == null && requestorId.size() == 16) {
            region = regionsByTag.get(requestorId.asReadOnlyByteBuffer().getLong());
        }
        return region;
    }

    @Override
    public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
        return builder.channelFactory(Accepting::new).bossEventLoopGroup(boss).workerEventLoopGroup(workers)
                .intercept(new Interceptor());
    }

    @Override
    public void close() {
        boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The server socket: puts a {@link Connection} first in every accepted connection's pipeline. */
    private final class Accepting extends NioServerSocketChannel {
        Accepting() {
            pipeline().addLast("wan-meter-accept", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Channel child) {
                        child.pipeline().addFirst("wan-meter", new Connection());
                    }
                    ctx.fireChannelRead(msg);
                }
            });
        }
    }

    /** One accepted connection: counts its bytes, held until it is known whose it is. */
    private final class Connection extends ChannelDuplexHandler {
        private volatile String peer;
        private long heldSent;
        private long heldReceived;
        private SocketAddress remote;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            remote = ctx.channel().remoteAddress();
            if (remote != null) {
                connections.put(remote, this);
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (remote != null) {
                connections.remove(remote, this);
            }
            super.channelInactive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof ByteBuf b) {
                count(0, b.readableBytes());
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof ByteBuf b) {
                count(b.readableBytes(), 0);
            }
            super.write(ctx, msg, promise);
        }

        private void count(long sent, long received) {
            String known = peer;
            if (known != null) {
                meter.count(known, Transport.CONSENSUS, sent, received);
                return;
            }
            synchronized (this) {
                if (peer == null) {
                    heldSent += sent;
                    heldReceived += received;
                    return;
                }
            }
            meter.count(peer, Transport.CONSENSUS, sent, received);
        }

        void identify(String region) {
            long sent;
            long received;
            synchronized (this) {
                if (peer != null) {
                    return;
                }
                peer = region;
                sent = heldSent;
                received = heldReceived;
                heldSent = 0;
                heldReceived = 0;
            }
            meter.count(region, Transport.CONSENSUS, sent, received);
        }
    }

    /** Learns whose each connection is from its Raft messages, and weighs messages by group. */
    private final class Interceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            Connection connection = remote == null ? null : connections.get(remote);
            if (connection == null) {
                return next.startCall(call, headers);
            }
            String[] label = {WanMeter.SYSTEM};
            ServerCall<Q, R> weighed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(R message) {
                    weigh(connection, label[0], message);
                    super.sendMessage(message);
                }
            };
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(weighed, headers)) {
                @Override
                public void onMessage(Q message) {
                    RaftProtos.RaftRpcRequestProto rpc = rpcOf(message);
                    if (rpc != null) {
                        if (connection.peer == null) {
                            String region = regionOf(rpc.getRequestorId());
                            if (region != null) {
                                connection.identify(region);
                            }
                        }
                        label[0] = labels.getOrDefault(rpc.getRaftGroupId().getId(), WanMeter.SYSTEM);
                    }
                    weigh(connection, label[0], message);
                    super.onMessage(message);
                }
            };
        }

        private void weigh(Connection connection, String label, Object message) {
            String peer = connection.peer;
            if (peer != null && message instanceof org.apache.ratis.thirdparty.com.google.protobuf.MessageLite m) {
                meter.weigh(peer, Transport.CONSENSUS, label, m.getSerializedSize());
            }
        }
    }

    /** The request header of a Raft message (who sends it, for which group), or null. */
    static RaftProtos.RaftRpcRequestProto rpcOf(Object message) {
        return switch (message) {
            case RaftProtos.AppendEntriesRequestProto m -> m.getServerRequest();
            case RaftProtos.RequestVoteRequestProto m -> m.getServerRequest();
            case RaftProtos.InstallSnapshotRequestProto m -> m.getServerRequest();
            case RaftProtos.StartLeaderElectionRequestProto m -> m.getServerRequest();
            case RaftProtos.ReadIndexRequestProto m -> m.getServerRequest();
            case RaftProtos.RaftClientRequestProto m -> m.getRpcRequest();
            case RaftProtos.SetConfigurationRequestProto m -> m.getRpcRequest();
            case RaftProtos.TransferLeadershipRequestProto m -> m.getRpcRequest();
            case RaftProtos.GroupManagementRequestProto m -> m.getRpcRequest();
            case RaftProtos.GroupListRequestProto m -> m.getRpcRequest();
            case RaftProtos.GroupInfoRequestProto m -> m.getRpcRequest();
            case RaftProtos.SnapshotManagementRequestProto m -> m.getRpcRequest();
            case RaftProtos.LeaderElectionManagementRequestProto m -> m.getRpcRequest();
            default -> null;
        };
    }
}
