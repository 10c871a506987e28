package io.meridian.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports free on 127.0.0.1 a moment ago, for configurations that must name them before a node binds. */
final class FreePorts {
    private FreePorts() {
    }

    /** The {@code regions:} of us-east and eu-west on 127.0.0.1, HTTP and replication on four such ports. */
    static String twoRegions(int[] p) {
        return """
                regions:
                  - {name: us-east, http: 127.0.0.1:%d, replication: 127.0.0.1:%d}
                  - {name: eu-west, http: 127.0.0.1:%d, replication: 127.0.0.1:%d}
                """.formatted(p[0], p[1], p[2], p[3]);
    }

    /**
     * {@code n} distinct ports. Every socket stays open until all are chosen: closing each one at
     * once lets the kernel hand the same port out again, and a configuration naming one port twice
     * is refused (seen in CI: "address 127.0.0.1:33837 is already used").
     */
    static int[] take(int n) {
        ServerSocket[] held = new ServerSocket[n];
        int[] ports = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                held[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ports[i] = held[i].getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing a listening socket that accepted nothing cannot lose anything
                    }
                }
            }
        }
    }
}
