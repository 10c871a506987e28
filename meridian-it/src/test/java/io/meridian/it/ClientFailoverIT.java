package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.lab.Lab;
import io.meridian.core.traffic.DnsAnswers;
import io.meridian.lab.LabTopology;
import io.meridian.traffic.DnsServer;
import io.meridian.traffic.RegionHealth;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The region-aware client on real processes: the region it uses is SIGKILLed mid-workload, and
 * it goes on in another region. The lab runs at a fifth of the real delays, with automatic
 * failover and an RPO budget of 0 on the key-value keyspaces (an acknowledged write is held by
 * another region), so read-your-writes can be checked for every acknowledged write. The
 * service's DNS runs beside it, its health read from the lab's control plane: the killed region
 * must leave its answers once the control plane has failed it over.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientFailoverIT {
    private static final String ORDER_EVENT = "6f1c2a7e-0d4b-4c3e-9a51-2b7d8e9f0a13";

    @TempDir
    static Path dir;
    Lab lab;
    MeridianClient client;
    MeridianClient euWest;
    RegionHealth health;
    DnsServer dns;

    @BeforeAll
    void up() {
        lab = LabFixture.up(dir, new LabTopology.Setup(0.2, 0, 0).withRpoBudget("0", "wait"), "auto");
        String[] urls = LabFixture.REGIONS.stream().map(r -> lab.state().orElseThrow().region(r).orElseThrow().url())
                .toArray(String[]::new);
        client = MeridianClient.builder().regions(urls).preferredRegions("us-east")
                .timeout(Duration.ofSeconds(2)).deadline(Duration.ofSeconds(30)).build();
        euWest = MeridianClient.connect(lab.state().orElseThrow().region("eu-west").orElseThrow().url());
        List<URI> nodes = java.util.Arrays.stream(urls).map(URI::create).toList();
        health = new RegionHealth(LabFixture.REGIONS, nodes, Map.of(), Duration.ofSeconds(1));
        health.start(Duration.ofMillis(250));
        List<DnsServer.GatewayAddress> gateways = new ArrayList<>();
        for (int i = 0; i < LabFixture.REGIONS.size(); i++) {
            gateways.add(new DnsServer.GatewayAddress(LabFixture.REGIONS.get(i), new byte[] {127, 0, (byte) (i + 1), 1}, 8080));
        }
        try {
            dns = new DnsServer(new DnsServer.Settings("shop.meridian.test", "127.0.0.1", 0, gateways,
                    List.of(DnsAnswers.Subnet.parse("10.1.0.0/16=us-east")),
                    Map.of("us-east", List.of("us-east", "eu-west", "ap-southeast")), 10), health::healthy);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        dns.start();
    }

    /** The addresses the DNS answers a client of us-east's subnet with, in order. */
    private List<String> resolve() throws Exception {
        SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
        resolver.setPort(dns.port());
        resolver.setTimeout(Duration.ofSeconds(2));
        Message query = Message.newQuery(Record.newRecord(Name.fromString("shop.meridian.test."), Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName("10.1.2.0")))),
                Section.ADDITIONAL);
        return resolver.send(query).getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
    }

    @AfterAll
    void down() throws Exception {
        if (client != null) {
            client.close();
        }
        if (dns != null) {
            dns.close();
            health.close();
        }
        LabFixture.down(lab, Map.of("eu-west", euWest), dir);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The writes made before the kill, each with its own idempotency key; sent again after it, they must apply nothing. */
    private Map<String, String> keyedWrites() {
        Map<String, String> versions = new java.util.LinkedHashMap<>();
        versions.put("likes", client.crdt("likes", "post-1", "{\"increment\": 1}", RequestOptions.NONE.idempotencyKey("like-1"))
                .version());
        versions.put("sessions", client.put("sessions", "s-1", bytes("cart"), "text/plain",
                RequestOptions.NONE.idempotencyKey("session-1")).version());
        versions.put("catalog", client.put("catalog", "c-1", bytes("book"), "text/plain",
                RequestOptions.NONE.idempotencyKey("catalog-1")).version());
        versions.put("profiles", client.put("profiles", "p-1", bytes("ada"), "text/plain",
                RequestOptions.NONE.idempotencyKey("profile-1")).version());
        MeridianClient.TxnOutcome deposit = client.transaction("accounts",
                "{\"then\": [{\"add\": {\"key\": \"acct-1\", \"delta\": 1}}]}", RequestOptions.NONE.idempotencyKey("deposit-1"));
        versions.put("accounts", deposit.results().getFirst().version());
        MeridianClient.Appended appended = client.append("orders", "order-1", "{\"events\": [{\"id\": \"" + ORDER_EVENT
                + "\", \"type\": \"placed\", \"data\": {}}]}", RequestOptions.NONE.idempotencyKey("order-1"));
        versions.put("orders", Long.toString(appended.lastVersion()));
        return versions;
    }

    @Test
    void killingTheRegionInUseMidWorkloadMovesTheClientOnWithEveryWriteAppliedOnceAndReadable() throws Exception {
        assertThat(client.regionOrder().getFirst()).isEqualTo("us-east");
        Map<String, String> before = keyedWrites();
        assertThat(client.preferredRegion().toString()).isEqualTo(lab.state().orElseThrow().region("us-east").orElseThrow().url());
        // eu-west holds every one of them (a session read waits for them, else is forwarded to a region that does).
        String session = client.session();
        assertThat(euWest.get("likes", "post-1", RequestOptions.NONE.session(session)).orElseThrow().text()).isEqualTo("1");
        assertThat(euWest.get("sessions", "s-1", RequestOptions.NONE.session(session))).isPresent();

        // The workload: writers putting fresh keys through the client, before, during and after the kill.
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicLong failed = new AtomicLong();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean killed = new AtomicBoolean();
        Map<String, AtomicLong> servedAfterKill = new ConcurrentHashMap<>();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int writer = t;
            writers.add(Thread.ofPlatform().name("writer-" + t).start(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "w-" + writer + "-" + i;
                    try {
                        boolean afterKill = killed.get();
                        MeridianClient.Written w = client.put("sessions", key, bytes("v" + i), "text/plain", RequestOptions.NONE);
                        acknowledged.put(key, "v" + i);
                        if (afterKill) {
                            servedAfterKill.computeIfAbsent(w.region(), r -> new AtomicLong()).incrementAndGet();
                        }
                    } catch (MeridianClientException e) {
                        failed.incrementAndGet();
                        failures.add(key + ": " + e.getMessage());
                    }
                }
            }));
        }
        Thread.sleep(2_000);
        assertThat(resolve()).as("the DNS before the kill, for a client of us-east")
                .containsExactly("127.0.1.1", "127.0.2.1", "127.0.3.1");
        long beforeKill = acknowledged.size();
        lab.kill("us-east");
        killed.set(true);
        long killedAt = System.nanoTime();
        Thread dnsWatch = Thread.ofVirtual().start(() -> {
            try {
                while (resolve().contains("127.0.1.1") && System.nanoTime() - killedAt < 60_000_000_000L) {
                    Thread.sleep(50);
                }
                System.out.printf("DNS: the killed region left the answers %d ms after the kill%n",
                        (System.nanoTime() - killedAt) / 1_000_000);
            } catch (Exception e) {
                System.out.println("DNS watch failed: " + e);
            }
        });
        while (acknowledged.size() < beforeKill + 30 && System.nanoTime() - killedAt < 30_000_000_000L) {
            Thread.sleep(100);
        }
        Thread.sleep(1_000);
        stop.set(true);
        for (Thread w : writers) {
            w.join(60_000);
        }
        dnsWatch.join(60_000);
        assertThat(resolve()).as("the DNS after the failover, for a client of us-east: the nearest healthy region first")
                .containsExactly("127.0.2.1", "127.0.3.1");
        System.out.printf("client failover: %d writes acknowledged (%d before the kill), %d failed, %d failovers, order now %s%n",
                acknowledged.size(), beforeKill, failed.get(), client.failoverCount(), client.regionOrder());
        failures.forEach(f -> System.out.println("  failed: " + f));
        assertThat(acknowledged.size()).as("writes went on after the kill").isGreaterThan((int) beforeKill + 30);
        assertThat(failed.get()).as("calls that failed across the kill: " + failures).isLessThanOrEqualTo(3);
        assertThat(client.failoverCount()).isPositive();
        // Where the writes started after the kill were acknowledged (the order itself puts us-east back
        // first whenever its cool-down ends, to try it again).
        System.out.println("writes started after the kill, by the region that acknowledged them: " + servedAfterKill);
        assertThat(servedAfterKill).isNotEmpty().doesNotContainKey("us-east");

        // Read-your-writes across the switch: the client carries its session to the regions left.
        List<String> unread = new ArrayList<>();
        acknowledged.forEach((key, value) -> {
            java.util.Optional<MeridianClient.Value> read = client.get("sessions", key);
            if (read.isEmpty() || !read.get().text().equals(value)) {
                unread.add(key);
            }
        });
        assertThat(unread).as("acknowledged writes the client could not read back").isEmpty();

        // The keyed writes sent again now reach eu-west or ap-southeast: each is answered as before and applies nothing.
        Map<String, String> again = keyedWrites();
        assertThat(again).isEqualTo(before);
        assertThat(client.get("likes", "post-1").orElseThrow().text()).isEqualTo("1");
        assertThat(client.get("accounts", "acct-1").orElseThrow().text()).isEqualTo("1");
        assertThat(client.readStream("orders", "order-1", 1, 10, true, RequestOptions.NONE).events()).hasSize(1);
    }
}
