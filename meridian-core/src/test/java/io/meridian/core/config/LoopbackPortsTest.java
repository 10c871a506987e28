package io.meridian.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LoopbackPortsTest {
    @Test
    void portsAreDistinctBelowTheEphemeralRangeAndBindable() throws Exception {
        int[] ports = LoopbackPorts.free(40);

        assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(40);
        assertThat(Arrays.stream(ports).boxed().toList()).allSatisfy(p -> assertThat(p).isBetween(10_000, LoopbackPorts.ephemeralLow() - 1));
        for (int port : ports) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                assertThat(s.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aPortInUseIsNotHandedOut() throws Exception {
        int[] first = LoopbackPorts.free(5);
        java.util.List<ServerSocket> held = new java.util.ArrayList<>();
        try {
            for (int port : first) {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                held.add(s);
            }
            for (int i = 0; i < 200; i++) {
                int[] again = LoopbackPorts.free(5);
                assertThat(again).doesNotContain(first);
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }
}
