package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The WAN proxy for peers' traffic, in front of a real echo server: each region is a loopback
 * address of its own (Linux routes all of 127.0.0.0/8 to the loopback), as a network namespace
 * per region gives in bench/peers.
 */
class WanProxyTest {
    private static final Map<String, String> HOSTS = Map.of("us-east", "127.0.0.2", "eu-west", "127.0.0.3");
    private EchoServer echo;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer("127.0.0.3");
    }

    @AfterEach
    void stop() throws IOException {
        echo.close();
    }

    /** Milliseconds for one byte to go through the proxy and come back, from {@code source}; -1 if the proxy closed. */
    private static long roundTrip(String source, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(source, 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(10_000);
            long start = System.nanoTime();
            s.getOutputStream().write(7);
            int b = s.getInputStream().read();
            return b < 0 ? -1 : (System.nanoTime() - start) / 1_000_000;
        }
    }

    @Test
    void eachConnectionIsDelayedByTheDistanceFromItsSourcesRegionToTheTargets() throws IOException {
        int port = io.meridian.core.config.LoopbackPorts.free(1)[0];
        String target = "127.0.0.3:" + echo.port();
        try (WanProxy proxy = WanProxy.start(HOSTS, List.of(WanProxy.Forward.parse("127.0.0.1:" + port + "=" + target)), 10.0)) {
            assertThat(roundTrip("127.0.0.2", port)).as("from us-east to eu-west: 35 ms each way, times 10").isGreaterThanOrEqualTo(700);
            assertThat(roundTrip("127.0.0.3", port)).as("within eu-west: no delay").isBetween(0L, 699L);
            assertThat(roundTrip("127.0.0.9", port)).as("from an address no region has: closed").isEqualTo(-1);
            // Counted once written on: the last byte may be read before its count.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(proxy.statsJson()).contains("\"target\": \"" + target + "\"").contains("\"bytes\": 4, \"bytes_back\": 2"));
            // The proxy's own lateness beside them: four chunks were forwarded (two each way).
            assertThat(proxy.statsJson()).contains("\"late\": {\"chunks\": 4, ");
        }
    }

    @Test
    void aFixedDelayAppliesToEverySourceAndBadForwardsAreRefusedWithTheReason() throws IOException {
        int port = io.meridian.core.config.LoopbackPorts.free(1)[0];
        try (WanProxy proxy = WanProxy.start(HOSTS, List.of(WanProxy.Forward.parse("127.0.0.1:" + port + "=127.0.0.3:"
                + echo.port() + "@50")), 1.0)) {
            assertThat(roundTrip("127.0.0.9", port)).isGreaterThanOrEqualTo(100);
        }
        assertThatThrownBy(() -> WanProxy.Forward.parse("127.0.0.1:1=nowhere")).hasMessageContaining("LISTEN=TARGET");
        assertThatThrownBy(() -> WanProxy.Forward.parse("127.0.0.1:1=127.0.0.1:2@soon")).hasMessageContaining("milliseconds");
        assertThatThrownBy(() -> WanProxy.start(Map.of("mars", "127.0.0.4"), List.of(), 1.0)).hasMessageContaining("no region 'mars'");
        assertThatThrownBy(() -> WanProxy.start(HOSTS, List.of(WanProxy.Forward.parse("127.0.0.1:" + io.meridian.core.config.LoopbackPorts.free(1)[0] + "=127.0.0.5:1")), 1.0))
                .hasMessageContaining("no region is at 127.0.0.5");
    }
}
