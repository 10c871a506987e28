package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The WAN emulator in front of a real echo server on 127.0.0.1. */
class WanEmulatorTest {
    private EchoServer echo;
    private WanEmulator wan;
    private int linkPort;
    private int controlPort;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer("127.0.0.1");
        int[] ports = io.meridian.core.config.LoopbackPorts.free(2);
        linkPort = ports[0];
        controlPort = ports[1];
        MeridianConfig config = ConfigLoader.parse("wan.yaml", """
                regions:
                  - {name: a, http: 127.0.0.1:1}
                  - {name: b, http: 127.0.0.1:%d}
                links:
                  - {from: a, to: b, via: 127.0.0.1:%d}
                keyspaces: [{name: cache, policy: local}]
                wan:
                  control: 127.0.0.1:%d
                  latency-scale: 0.5
                  delays: [{between: [a, b], one-way-ms: 40}]
                """.formatted(echo.port(), linkPort, ports[1]));
        wan = WanEmulator.start(config);
    }

    @AfterEach
    void stop() throws IOException {
        wan.close();
        echo.close();
    }

    /** Sends a byte and waits for its echo; returns the round trip in millis. */
    private static double roundTrip(Socket s) throws IOException {
        long start = System.nanoTime();
        s.getOutputStream().write(42);
        s.getOutputStream().flush();
        int b = s.getInputStream().read();
        assertThat(b).isEqualTo(42);
        return (System.nanoTime() - start) / 1e6;
    }

    @Test
    void aRoundTripOverALinkTakesAtLeastTwiceTheScaledOneWayDelay() throws IOException {
        try (Socket s = new Socket("127.0.0.1", linkPort)) {
            s.setTcpNoDelay(true);
            for (int i = 0; i < 5; i++) {
                assertThat(roundTrip(s)).isGreaterThanOrEqualTo(40.0); // 2 x 40 ms x 0.5
            }
        }
        assertThat(wan.links()).singleElement().satisfies(l -> assertThat(l.oneWayMs()).isEqualTo(20.0));
        // The proxy counts a chunk just after writing it: the echo may be read a moment before.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(wan.links().getFirst().bytesForwarded()).isEqualTo(10));
        // Every forwarded chunk's lateness past its due time is measured.
        assertThat(wan.links().getFirst().late().chunks()).isPositive();
        assertThat(wan.links().getFirst().late().maxMs()).isGreaterThanOrEqualTo(0);
        // A benchmark starts the figure afresh for its own window.
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + controlPort + "/v1/links/reset-stats"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"chunks\":0");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(wan.links().getFirst().late().chunks()).isZero();
        assertThat(wan.links().getFirst().bytesForwarded()).isEqualTo(10); // only the lateness starts afresh
    }

    @Test
    void aCutLinkSwallowsBytesAndAHealedLinkCarriesNewConnections() throws IOException {
        assertThat(wan.partition("a", "b")).isEqualTo(1);
        try (Socket s = new Socket("127.0.0.1", linkPort)) {
            s.setSoTimeout(300);
            s.getOutputStream().write(1);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        }
        assertThat(wan.links().getFirst().cut()).isTrue();
        assertThat(wan.heal(null, null)).isEqualTo(1);
        try (Socket s = new Socket("127.0.0.1", linkPort)) {
            s.setSoTimeout(5_000);
            assertThat(roundTrip(s)).isGreaterThanOrEqualTo(40.0);
        }
    }

    @Test
    void aLinkCutMidStreamIsClosedOnHealSoClientsReconnect() throws IOException {
        try (Socket s = new Socket("127.0.0.1", linkPort)) {
            s.setSoTimeout(2_000);
            roundTrip(s);
            wan.partition("b", "a");
            s.getOutputStream().write(7);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> wan.links().getFirst().bytesSwallowed() > 0);
            wan.heal("a", "b");
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void partitioningUnknownRegionsCutsNothing() {
        assertThat(wan.partition("a", "mars")).isZero();
    }
}
