package io.meridian.core.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports free on 127.0.0.1, for configurations that must name a port before its server binds it:
 * the lab's {@code --base-port 0}, and tests.
 *
 * <p>Two traps this avoids, both seen in CI:
 * <ul>
 *   <li>A port asked of the kernel with bind(0) and closed at once may be handed out again by the
 *       next bind(0), so two servers of one test were given the same port.</li>
 *   <li>bind(0) takes ports from the ephemeral range, the same range the kernel gives outgoing
 *       connections: between the choice and the server's bind, a client connection of an
 *       already started server can take the port. Ratis then fails to start its gRPC server (and,
 *       unless told otherwise, exits the JVM).</li>
 * </ul>
 * So the ports come from below the ephemeral range ({@code net.ipv4.ip_local_port_range}), from
 * a random place, each checked by binding it, and all held open until every one is chosen.
 */
public final class LoopbackPorts {
    /** Lowest port handed out: above the lab's fixed ports (7001 onwards) and most well-known services. */
    private static final int LOWEST = 10_000;
    private static final int EPHEMERAL_FALLBACK = 32_768;

    private LoopbackPorts() {
    }

    /** {@code n} distinct ports, free on 127.0.0.1 a moment ago and outside the ephemeral range. */
    public static int[] free(int n) {
        int top = ephemeralLow();
        int span = top - LOWEST;
        List<ServerSocket> held = new ArrayList<>();
        int[] ports = new int[n];
        try {
            int start = ThreadLocalRandom.current().nextInt(span);
            int found = 0;
            for (int i = 0; i < span && found < n; i++) {
                int port = LOWEST + (start + i) % span;
                ServerSocket s = tryBind(port);
                if (s != null) {
                    held.add(s);
                    ports[found++] = port;
                }
            }
            if (found < n) {
                throw new IllegalStateException("only " + found + " free ports below " + top + " on 127.0.0.1, wanted " + n);
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // a listening socket that accepted nothing loses nothing when closed
                }
            }
        }
    }

    /** One port, as {@link #free(int)}. */
    public static int free() {
        return free(1)[0];
    }

    private static ServerSocket tryBind(int port) {
        try {
            ServerSocket s = new ServerSocket();
            try {
                s.setReuseAddress(true); // as the servers bind: a port left in TIME_WAIT is usable
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return s;
            } catch (IOException e) {
                s.close();
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first port of the kernel's ephemeral range, or 32768 where it cannot be read. */
    static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > LOWEST + 1_000 ? low : EPHEMERAL_FALLBACK;
        } catch (IOException | RuntimeException e) {
            return EPHEMERAL_FALLBACK;
        }
    }
}
