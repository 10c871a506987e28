package io.meridian.replication;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufHolder;
import io.grpc.netty.shaded.io.netty.channel.ChannelDuplexHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelPromise;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.meridian.core.cost.Transport;
import io.meridian.core.cost.WanMeter;

/**
 * gRPC channels to peer regions whose sockets count their bytes into a {@link WanMeter}: a
 * handler first in each connection's pipeline sees every byte read from and written to the socket
 * (HTTP/2 framing included), as the WAN carries them.
 */
final class MeteredChannels implements AutoCloseable {
    private final WanMeter meter;
    private final EventLoopGroup group;

    MeteredChannels(WanMeter meter) {
        this.meter = meter;
        // gRPC's own default is a shared group of 2 x cores threads; replication streams need few.
        this.group = new MultiThreadIoEventLoopGroup(2, Thread.ofPlatform().name("replication-io-", 0).daemon().factory(),
                NioIoHandler.newFactory());
    }

    /** A channel builder to {@code peer} at the address whose connections count as {@code transport}. */
    NettyChannelBuilder builder(String peer, io.meridian.core.config.HostPort address, Transport transport,
                                io.grpc.ChannelCredentials credentials) {
        return NettyChannelBuilder.forAddress(address.host(), address.port(), credentials)
                .eventLoopGroup(group)
                .channelFactory(() -> {
                    NioSocketChannel channel = new NioSocketChannel();
                    channel.pipeline().addFirst("wan-meter", new Counter(meter, peer, transport));
                    return channel;
                }, java.net.InetSocketAddress.class);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Counts what passes the head of a pipeline: bytes as read from and written to the socket. */
    static final class Counter extends ChannelDuplexHandler {
        private final WanMeter meter;
        private final String peer;
        private final Transport transport;

        Counter(WanMeter meter, String peer, Transport transport) {
            this.meter = meter;
            this.peer = peer;
            this.transport = transport;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            meter.count(peer, transport, 0, size(msg));
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            meter.count(peer, transport, size(msg), 0);
            super.write(ctx, msg, promise);
        }

        private static long size(Object msg) {
            if (msg instanceof ByteBuf b) {
                return b.readableBytes();
            }
            if (msg instanceof ByteBufHolder h) {
                return h.content().readableBytes();
            }
            return 0;
        }
    }
}
