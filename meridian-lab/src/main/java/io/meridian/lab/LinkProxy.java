package io.meridian.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One directed WAN link of the lab: a TCP proxy that listens where region {@code from} dials
 * region {@code to}, and forwards to {@code to} with the link's one-way delay added in each
 * direction of every connection (requests going out, answers coming back), so a round trip
 * over it costs twice the one-way delay.
 *
 * <p><b>Cut.</b> A cut link behaves like a partition, not a refusal: bytes are swallowed and
 * connections hang, so callers see timeouts as they would across a real partition. When the
 * link heals, connections that lost bytes are closed (their streams are broken) and new ones
 * work again.
 *
 * <p>Each connection has two pumps; each pump is a reader and a writer on virtual threads with
 * a queue between them, the writer sleeping until each chunk is due.
 */
final class LinkProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LinkProxy.class);
    private static final int CHUNK_BYTES = 64 * 1024;
    /** Chunks in flight per direction of a connection before the reader stops reading (TCP backpressure). */
    private static final int QUEUE_CHUNKS = 256;

    final String from;
    final String to;
    /** What the link carries: "http" or "replication". */
    final String kind;
    private final InetSocketAddress target;
    private final LinkShaper shaper;
    /** The shaper for a connection from a given address: {@link #shaper} for every one, unless the link tells sources apart. */
    private final java.util.function.Function<java.net.InetAddress, LinkShaper> shaperFor;
    private final long jitterNanos;
    private final ServerSocket server;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesForwarded = new AtomicLong();
    /** Of {@link #bytesForwarded}, those that went back: from the target to whoever dialled. */
    private final AtomicLong bytesBack = new AtomicLong();
    private final AtomicLong bytesSwallowed = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    /** How late each chunk left past its due time, in microseconds: what the emulator itself added to the link's delay. */
    private final org.HdrHistogram.ConcurrentHistogram lateness = new org.HdrHistogram.ConcurrentHistogram(2);
    private volatile boolean cut;
    private volatile boolean closed;
    /** Where every forwarded byte is appended, both directions (null: nowhere). */
    private volatile java.io.OutputStream capture;

    LinkProxy(String from, String to, String kind, InetSocketAddress listen, InetSocketAddress target, LinkShaper shaper,
              long jitterNanos) throws IOException {
        this(from, to, kind, listen, target, shaper, source -> shaper, jitterNanos);
    }

    /**
     * A link whose delay depends on where each connection comes from ({@code shaperFor} its source
     * address; {@code shaper} is what {@link #oneWayMillis} reports): one listening address that
     * several regions dial, as a peer system's members all dial one advertised address per member.
     */
    LinkProxy(String from, String to, String kind, InetSocketAddress listen, InetSocketAddress target, LinkShaper shaper,
              java.util.function.Function<java.net.InetAddress, LinkShaper> shaperFor, long jitterNanos) throws IOException {
        this.from = from;
        this.to = to;
        this.kind = kind;
        this.target = target;
        this.shaper = shaper;
        this.shaperFor = shaperFor;
        this.jitterNanos = jitterNanos;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(listen);
        Thread.ofVirtual().name("wan-accept-" + from + "-" + to).start(this::acceptLoop);
    }

    /** From now on, appends every byte this link forwards (both ways, as forwarded) to {@code file}. */
    void captureTo(java.nio.file.Path file) throws IOException {
        capture = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND));
    }

    private void captured(byte[] bytes) {
        java.io.OutputStream c = capture;
        if (c == null) {
            return;
        }
        synchronized (c) {
            try {
                c.write(bytes);
                c.flush();
            } catch (IOException e) {
                log.warn("link {} -> {} ({}): capturing failed: {}", from, to, kind, e.toString());
                capture = null;
            }
        }
    }

    int port() {
        return server.getLocalPort();
    }

    String target() {
        return target.getHostString() + ":" + target.getPort();
    }

    double oneWayMillis() {
        return shaper.delayNanos() / 1e6;
    }

    boolean isCut() {
        return cut;
    }

    int openConnections() {
        return connections.size();
    }

    long bytesForwarded() {
        return bytesForwarded.get();
    }

    long bytesBack() {
        return bytesBack.get();
    }

    long bytesSwallowed() {
        return bytesSwallowed.get();
    }

    /** How late this link's chunks left past their due time: what the emulator itself added to the link's delay. */
    WanEmulator.Lateness lateness() {
        org.HdrHistogram.Histogram h = lateness.copy();
        return new WanEmulator.Lateness(h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getMaxValue() / 1e3);
    }

    /** Starts {@link #lateness} afresh: a benchmark measures the emulator's error over its own window. */
    void resetLateness() {
        lateness.reset();
    }

    long connectionsAccepted() {
        return accepted.get();
    }

    void cut() {
        if (!cut) {
            cut = true;
            log.info("{} link {} -> {} cut", kind, from, to);
        }
    }

    void heal() {
        if (cut) {
            cut = false;
            connections.stream().filter(c -> c.damaged).forEach(Connection::close);
            log.info("{} link {} -> {} healed", kind, from, to);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                Thread.ofVirtual().name("wan-conn-" + from + "-" + to).start(() -> open(client));
            } catch (IOException e) {
                if (!closed) {
                    log.warn("link {} -> {}: accept failed: {}", from, to, e.toString());
                }
            }
        }
    }

    private void open(Socket client) {
        Socket upstream = new Socket();
        try {
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
            upstream.connect(target, 5_000);
        } catch (IOException e) {
            log.debug("link {} -> {}: cannot reach {}: {}", from, to, target, e.toString());
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        LinkShaper chosen = shaperFor.apply(client.getInetAddress());
        if (chosen == null) {
            log.warn("link {} -> {}: a connection from {}, which no region is known by: closed", from, to, client.getInetAddress());
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        Connection c = new Connection(client, upstream, chosen);
        connections.add(c);
        if (cut) {
            c.damaged = true;
        }
        c.start();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        java.io.OutputStream c = capture;
        if (c != null) {
            closeQuietly(c);
        }
        connections.forEach(Connection::close);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** A chunk in flight; {@code bytes == null} carries the end of the stream. */
    private record Chunk(byte[] bytes, long dueNanos) {
    }

    private final class Connection {
        final Socket client;
        final Socket upstream;
        final LinkShaper shaper;
        volatile boolean damaged;
        private int pumpsDone;

        Connection(Socket client, Socket upstream, LinkShaper shaper) {
            this.client = client;
            this.upstream = upstream;
            this.shaper = shaper;
        }

        void start() {
            pump(client, upstream, "out");
            pump(upstream, client, "back");
        }

        private void pump(Socket source, Socket sink, String direction) {
            LinkShaper.Stream stream = shaper.stream();
            LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>(QUEUE_CHUNKS);
            String name = "wan-" + from + "-" + to + "-" + direction;
            Thread.ofVirtual().name(name + "-read").start(() -> read(source, stream, queue));
            boolean back = direction.equals("back");
            Thread.ofVirtual().name(name + "-write").start(() -> write(sink, queue, back));
        }

        private void read(Socket source, LinkShaper.Stream stream, LinkedBlockingQueue<Chunk> queue) {
            byte[] buffer = new byte[CHUNK_BYTES];
            try (InputStream in = source.getInputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (cut) {
                        damaged = true;
                        bytesSwallowed.addAndGet(n);
                        continue;
                    }
                    long jitter = jitterNanos == 0 ? 0 : ThreadLocalRandom.current().nextLong(jitterNanos + 1);
                    queue.put(new Chunk(Arrays.copyOf(buffer, n), stream.due(System.nanoTime(), n, jitter)));
                }
                queue.put(new Chunk(null, stream.due(System.nanoTime(), 0, 0)));
            } catch (IOException e) {
                close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
            } finally {
                queue.offer(new Chunk(null, 0)); // wakes the writer if the stream broke
            }
        }

        private void write(Socket sink, LinkedBlockingQueue<Chunk> queue, boolean back) {
            try {
                OutputStream out = sink.getOutputStream();
                while (true) {
                    Chunk chunk = queue.take();
                    long wait = chunk.dueNanos() - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    if (chunk.bytes() == null) {
                        sink.shutdownOutput();
                        finishPump();
                        return;
                    }
                    lateness.recordValue(Math.max(0, (System.nanoTime() - chunk.dueNanos()) / 1_000));
                    if (cut) {
                        damaged = true;
                        bytesSwallowed.addAndGet(chunk.bytes().length);
                        continue;
                    }
                    out.write(chunk.bytes());
                    out.flush();
                    captured(chunk.bytes());
                    bytesForwarded.addAndGet(chunk.bytes().length);
                    if (back) {
                        bytesBack.addAndGet(chunk.bytes().length);
                    }
                }
            } catch (IOException e) {
                close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
            }
        }

        private synchronized void finishPump() {
            if (++pumpsDone == 2) {
                close();
            }
        }

        void close() {
            connections.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }
}
