package io.meridian.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hedged reads against two HTTP servers on real sockets standing in for regions: us-east (the
 * preferred one) answers reads only after four seconds, eu-west at once.
 */
class HedgedReadsTest {
    private HttpServer slow;
    private HttpServer fast;
    private final AtomicInteger slowReads = new AtomicInteger();
    private final AtomicInteger fastReads = new AtomicInteger();

    private static HttpServer region(String name, long delayMillis, AtomicInteger reads) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        s.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Meridian-Region", name);
            byte[] body = ("value from " + name).getBytes(StandardCharsets.UTF_8);
            if (exchange.getRequestURI().getPath().startsWith("/v1/kv/")) {
                reads.incrementAndGet();
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.getResponseHeaders().add("ETag", "\"1\"");
                exchange.getResponseHeaders().add("Content-Type", "text/plain");
            }
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        s.start();
        return s;
    }

    @BeforeEach
    void start() throws IOException {
        slow = region("us-east", 4_000, slowReads);
        fast = region("eu-west", 0, fastReads);
    }

    @AfterEach
    void stop() {
        slow.stop(0);
        fast.stop(0);
    }

    private MeridianClient client(boolean hedge) {
        MeridianClient.Builder b = MeridianClient.builder().regions("http://127.0.0.1:" + slow.getAddress().getPort(),
                "http://127.0.0.1:" + fast.getAddress().getPort()).preferredRegions("us-east").timeout(Duration.ofSeconds(5));
        if (hedge) {
            b.hedgeReads(Duration.ofMillis(100));
        }
        return b.build();
    }

    @Test
    void anEventualReadWithoutAnAnswerInTimeIsAlsoSentToTheNextRegionAndTheFirstAnswerWins() {
        try (MeridianClient client = client(true)) {
            assertThat(client.regionOrder().getFirst()).isEqualTo("us-east");
            MeridianClient.Value v = client.get("cache", "k", RequestOptions.NONE.consistency("eventual")).orElseThrow();
            assertThat(v.text()).isEqualTo("value from eu-west");
            assertThat(client.hedgeCount()).isEqualTo(1);
            assertThat(slowReads.get()).isEqualTo(1);
            assertThat(fastReads.get()).isEqualTo(1);
            assertThat(client.get("cache", "k", RequestOptions.NONE.consistency("bounded=50")).orElseThrow().text())
                    .isEqualTo("value from eu-west");
            assertThat(client.hedgeCount()).isEqualTo(2);
        }
    }

    @Test
    void readsThatMustSeeASessionOrAreNotMarkedEventualAreNeverHedged() {
        try (MeridianClient client = client(true)) {
            assertThat(client.get("cache", "k").orElseThrow().text()).isEqualTo("value from us-east");
            assertThat(client.get("cache", "k", RequestOptions.NONE.consistency("eventual").session("us-east=1"))
                    .orElseThrow().text()).isEqualTo("value from us-east");
            assertThat(client.hedgeCount()).isZero();
            assertThat(fastReads.get()).isZero();
        }
        try (MeridianClient client = client(false)) {
            assertThat(client.get("cache", "k", RequestOptions.NONE.consistency("eventual")).orElseThrow().text())
                    .isEqualTo("value from us-east");
            assertThat(client.hedgeCount()).isZero();
        }
    }
}
