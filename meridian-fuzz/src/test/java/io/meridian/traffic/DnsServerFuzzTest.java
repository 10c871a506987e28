package io.meridian.traffic;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.meridian.core.traffic.DnsAnswers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The health-checked DNS's answer to a datagram from anyone: whatever arrives, an answer (or
 * silence for an answer or a runt), never an exception, which the server would answer SERVFAIL
 * and log as a bug.
 */
class DnsServerFuzzTest {
    private static DnsServer dns;

    @BeforeAll
    static void start() throws IOException {
        dns = new DnsServer(new DnsServer.Settings("shop.example", "127.0.0.1", 0,
                List.of(new DnsServer.GatewayAddress("us-east", new byte[] {127, 0, 0, 1}, 8080),
                        new DnsServer.GatewayAddress("eu-west", new byte[] {127, 0, 0, 2}, 8080)),
                List.of(DnsAnswers.Subnet.parse("10.0.0.0/8=eu-west"), DnsAnswers.Subnet.parse("2001:db8::/32=us-east")),
                Map.of("us-east", List.of("eu-west"), "eu-west", List.of("us-east")), 10), () -> Set.of("us-east"));
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    @FuzzTest
    void query(byte[] datagram) {
        try {
            dns.answer(datagram, InetAddress.getByAddress(new byte[] {10, 1, 2, 3}));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
