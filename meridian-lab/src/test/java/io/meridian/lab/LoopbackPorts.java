package io.meridian.lab;

import java.io.IOException;
import java.net.ServerSocket;

/** Ports free on the loopback address right now, for the proxies' tests to listen on. */
final class LoopbackPorts {
    private LoopbackPorts() {
    }

    /** {@code n} distinct ports: held open together while chosen, so none is returned twice. */
    static int[] free(int n) throws IOException {
        int[] ports = new int[n];
        ServerSocket[] held = new ServerSocket[n];
        for (int i = 0; i < n; i++) {
            held[i] = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
            ports[i] = held[i].getLocalPort();
        }
        for (ServerSocket s : held) {
            s.close();
        }
        return ports;
    }
}
