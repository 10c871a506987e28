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

    static int[] take(int n) {
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                ports[i] = s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return ports;
    }
}
