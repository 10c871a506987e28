package io.meridian.node.routing;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Forwards towards a region behind a link that swallows requests (a partition): they must not outwait a failover. */
class ForwarderTest {

    /** Accepts connections and never answers, like a cut WAN link. */
    private static final class Swallower implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> held = new ArrayList<>();

        Swallower() throws Exception {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        synchronized (held) {
                            held.add(s);
                        }
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
        }

        HttpRequest request() {
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/kv/profiles/k"))
                    .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofString("v")).build();
        }

        @Override
        public void close() throws Exception {
            server.close();
            synchronized (held) {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aForwardInFlightIsAbandonedOnceItsTargetIsSuspectedAndSaysTheOutcomeIsUnknown() throws Exception {
        AtomicBoolean suspected = new AtomicBoolean();
        try (Swallower target = new Swallower(); Forwarder f = new Forwarder("us-east", null, io.meridian.node.NodeTls.OFF, () -> 3, r -> suspected.get())) {
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ignored) {
                    return;
                }
                suspected.set(true);
            });
            long start = System.nanoTime();
            assertThatThrownBy(() -> f.send(target.request(), "eu-west", "eu-west is the key's home"))
                    .isInstanceOfSatisfying(MeridianException.class, e -> {
                        assertThat(e.type()).isEqualTo(ProblemType.UNAVAILABLE);
                        assertThat(e.getMessage()).contains("became suspected down from us-east").contains("unknown");
                        assertThat(e.extensions()).containsEntry("outcome", "unknown");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the 10 s request timeout").isLessThan(Duration.ofSeconds(5));
        }
    }
}
