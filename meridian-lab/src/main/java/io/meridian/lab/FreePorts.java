package io.meridian.lab;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports on 127.0.0.1 for a lab started with {@code --base-port 0}. Every socket stays open
 * until all are chosen, so no port is handed out twice. Where they come from: the kernel's
 * ephemeral range, or, when the system property {@value #RANGE} says {@code LOW-HIGH}, ports
 * drawn at random from that range. Labs that start at the same time in separate processes (test
 * forks) then pick from ranges of their own, which the kernel hands to no one else: a port of the
 * ephemeral range that one lab has chosen and released for its node to bind could otherwise be
 * handed to the other lab in between.
 */
final class FreePorts {
    /** The system property naming the range, e.g. {@code 21000-21999}. */
    static final String RANGE = "meridian.lab.ports";
    /** Ports of the range this process handed out before: not again, while others are left (an old lab's may linger). */
    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** {@code tcp} ports free for a TCP listener, then {@code udp} ports free for UDP. */
    static List<Integer> pick(int tcp, int udp) {
        String range = System.getProperty(RANGE, "").strip();
        List<Closeable> held = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        try {
            int[] bounds = range.isEmpty() ? null : parse(range);
            for (int i = 0; i < tcp + udp; i++) {
                boolean datagram = i >= tcp;
                if (bounds == null) {
                    Closeable c = datagram ? new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)) : listen(0, true);
                    held.add(c);
                    ports.add(datagram ? ((DatagramSocket) c).getLocalPort() : ((ServerSocket) c).getLocalPort());
                    continue;
                }
                int tries = 0;
                while (true) {
                    int port = ThreadLocalRandom.current().nextInt(bounds[0], bounds[1] + 1);
                    boolean fresh = !GIVEN.contains(port) || tries > 1_000;
                    if (!ports.contains(port) && fresh) {
                        try {
                            // Without SO_REUSEADDR: a port with connections of an earlier lab in TIME_WAIT is refused too.
                            held.add(datagram ? new DatagramSocket(new InetSocketAddress("127.0.0.1", port)) : listen(port, false));
                            ports.add(port);
                            break;
                        } catch (IOException inUse) {
                            // another one
                        }
                    }
                    if (++tries > 10_000) {
                        throw new IOException("no free port left in " + RANGE + "=" + range);
                    }
                }
            }
        } catch (IOException e) {
            throw new LabException("cannot find free ports: " + e.getMessage(), e);
        } finally {
            for (Closeable c : held) {
                try {
                    c.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
        if (!range.isEmpty()) {
            GIVEN.addAll(ports);
        }
        return ports;
    }

    private static ServerSocket listen(int port, boolean reuse) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(reuse);
        try {
            s.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    static int[] parse(String range) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,5})-(\\d{1,5})").matcher(range);
        if (!m.matches()) {
            throw new LabException(RANGE + " is LOW-HIGH, e.g. 21000-21999, not '" + range + "'");
        }
        int low = Integer.parseInt(m.group(1));
        int high = Integer.parseInt(m.group(2));
        if (low < 1024 || high > 65_535 || high - low < 99) {
            throw new LabException(RANGE + " " + range + ": a range of at least 100 ports within 1024..65535");
        }
        return new int[] {low, high};
    }
}
