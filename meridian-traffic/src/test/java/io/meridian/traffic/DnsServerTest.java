package io.meridian.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.traffic.DnsAnswers;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** The health-checked DNS over real UDP, queried with dnsjava's resolver and with raw bytes. */
class DnsServerTest {
    private static final List<String> ALL = List.of("us-east", "eu-west", "ap-southeast");
    private final AtomicReference<Set<String>> healthy = new AtomicReference<>(Set.copyOf(ALL));
    private DnsServer dns;

    @BeforeEach
    void start() throws Exception {
        start("http");
    }

    private void start(String scheme) throws Exception {
        dns = new DnsServer(new DnsServer.Settings("shop.meridian.test", "127.0.0.1", 0, List.of(
                new DnsServer.GatewayAddress("us-east", DnsAnswers.literal("10.0.1.1"), 7201),
                new DnsServer.GatewayAddress("eu-west", DnsAnswers.literal("10.0.2.1"), 7202),
                new DnsServer.GatewayAddress("ap-southeast", DnsAnswers.literal("10.0.3.1"), 7203)),
                List.of(DnsAnswers.Subnet.parse("10.1.0.0/16=us-east"), DnsAnswers.Subnet.parse("10.2.0.0/16=eu-west"),
                        DnsAnswers.Subnet.parse("10.3.0.0/16=ap-southeast"), DnsAnswers.Subnet.parse("127.0.0.0/8=eu-west")),
                Map.of("ap-southeast", List.of("ap-southeast", "eu-west", "us-east"),
                        "eu-west", List.of("eu-west", "us-east", "ap-southeast"),
                        "us-east", List.of("us-east", "eu-west", "ap-southeast")), 10, scheme), healthy::get);
        dns.start();
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private Message query(String name, int type, String clientSubnet) throws Exception {
        SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
        resolver.setPort(dns.port());
        resolver.setTimeout(Duration.ofSeconds(2));
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
        if (clientSubnet != null) {
            q.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName(clientSubnet)))),
                    Section.ADDITIONAL);
        }
        return resolver.send(q);
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r.getType() == Type.A).map(r -> r.rdataToString()).toList();
    }

    @Test
    void theAnswerListsTheHealthyRegionsGatewaysNearestFirstForTheClientsSubnet() throws Exception {
        Message fromAsia = query("shop.meridian.test", Type.A, "10.3.7.0");
        assertThat(fromAsia.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(fromAsia.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(addresses(fromAsia)).containsExactly("10.0.3.1", "10.0.2.1", "10.0.1.1");
        assertThat(fromAsia.getSection(Section.ANSWER)).allSatisfy(r -> assertThat(r.getTTL()).isEqualTo(10));
        ClientSubnetOption scope = (ClientSubnetOption) fromAsia.getOPT().getOptions(org.xbill.DNS.EDNSOption.Code.CLIENT_SUBNET).getFirst();
        assertThat(scope.getScopePrefixLength()).isEqualTo(16);
        assertThat(addresses(query("shop.meridian.test", Type.A, "10.1.0.0"))).containsExactly("10.0.1.1", "10.0.2.1", "10.0.3.1");
        // Without Client Subnet, the query's own source address (127.0.0.1: eu-west in this table).
        assertThat(addresses(query("shop.meridian.test", Type.A, null))).containsExactly("10.0.2.1", "10.0.1.1", "10.0.3.1");
    }

    @Test
    void anUnhealthyRegionLeavesTheAnswersAndComesBackAndWithNoneHealthyAllAreAnswered() throws Exception {
        healthy.set(Set.of("us-east", "eu-west"));
        assertThat(addresses(query("shop.meridian.test", Type.A, "10.3.7.0"))).containsExactly("10.0.2.1", "10.0.1.1");
        healthy.set(Set.copyOf(ALL));
        assertThat(addresses(query("shop.meridian.test", Type.A, "10.3.7.0"))).containsExactly("10.0.3.1", "10.0.2.1", "10.0.1.1");
        healthy.set(Set.of());
        assertThat(addresses(query("shop.meridian.test", Type.A, "10.3.7.0"))).hasSize(3);
    }

    @Test
    void srvAnswersCarryEachGatewaysPortWithTheNearestAtPriorityZero() throws Exception {
        Message m = query("_http._tcp.shop.meridian.test", Type.SRV, "10.2.0.0");
        List<SRVRecord> srv = m.getSection(Section.ANSWER).stream().map(SRVRecord.class::cast).toList();
        assertThat(srv).extracting(SRVRecord::getPort).containsExactly(7202, 7201, 7203);
        assertThat(srv).extracting(SRVRecord::getPriority).containsExactly(0, 1, 2);
        assertThat(srv.getFirst().getTarget().toString()).isEqualTo("eu-west.shop.meridian.test.");
        assertThat(m.getSection(Section.ADDITIONAL).stream().filter(r -> r.getType() == Type.A).map(Record::rdataToString))
                .contains("10.0.2.1");
        assertThat(addresses(query("eu-west.shop.meridian.test", Type.A, null))).containsExactly("10.0.2.1");
    }

    @Test
    void gatewaysServingHttpsAreNamedUnderHttpsAndTheHttpNameDoesNotExist() throws Exception {
        assertThat(query("_https._tcp.shop.meridian.test", Type.SRV, null).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        dns.close();
        start("https");

        Message https = query("_https._tcp.shop.meridian.test", Type.SRV, "10.2.0.0");
        assertThat(https.getSection(Section.ANSWER).stream().map(SRVRecord.class::cast)).extracting(SRVRecord::getPort)
                .containsExactly(7202, 7201, 7203);
        assertThat(query("_http._tcp.shop.meridian.test", Type.SRV, "10.2.0.0").getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThatThrownBy(() -> new DnsServer.Settings("shop.meridian.test", "127.0.0.1", 0, dns.settings().gateways(),
                List.of(), Map.of(), 10, "ftp")).hasMessageContaining("http or https, not 'ftp'");
    }

    @Test
    void namesOutsideTheZoneAreRefusedAndUnknownOnesInsideDoNotExist() throws Exception {
        assertThat(query("example.com", Type.A, null).getRcode()).isEqualTo(Rcode.REFUSED);
        Message nx = query("nope.shop.meridian.test", Type.A, null);
        assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(nx.getSection(Section.AUTHORITY)).singleElement().matches(r -> r.getType() == Type.SOA && r.getTTL() == 10);
        Message aaaa = query("shop.meridian.test", Type.AAAA, null);
        assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
        assertThat(aaaa.getSection(Section.AUTHORITY)).as("a negative answer carries the SOA").hasSize(1);
        assertThat(query("shop.meridian.test", Type.SOA, null).getSection(Section.ANSWER)).singleElement()
                .matches(r -> r.getType() == Type.SOA);
    }

    @Test
    void aMalformedQueryIsAnsweredFormerrAndTheServerKeepsServing() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(2_000);
            byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x61};
            s.send(new DatagramPacket(garbage, garbage.length, InetAddress.getLoopbackAddress(), dns.port()));
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            s.receive(reply);
            Message answer = new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength()));
            assertThat(answer.getHeader().getID()).isEqualTo(0x1234);
            assertThat(answer.getRcode()).isEqualTo(Rcode.FORMERR);
            // Too short to hold an id: nothing to answer.
            s.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, InetAddress.getLoopbackAddress(), dns.port()));
            s.setSoTimeout(300);
            boolean answered = true;
            try {
                s.receive(new DatagramPacket(new byte[512], 512));
            } catch (SocketTimeoutException e) {
                answered = false;
            }
            assertThat(answered).isFalse();
        }
        assertThat(addresses(query("shop.meridian.test", Type.A, "10.1.0.0"))).hasSize(3);
    }
}
