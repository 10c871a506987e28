package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.client.MeridianClient;
import io.meridian.client.RequestOptions;
import io.meridian.lab.Lab;
import io.meridian.lab.LabNetwork;
import io.meridian.lab.LabState;
import io.meridian.lab.LabTopology;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing assumes one machine: the lab with each region in its own Linux network namespace
 * ({@code lab up --netns}), its own address, no route to any other region but through the WAN
 * emulator. Replication, strong writes forwarded to the leader and partitions work as on
 * loopback, and {@code lab down} leaves no namespace behind. Needs root and iproute2: where a
 * namespace cannot be made it is skipped, saying why ({@code .ci/run} prints whether it can).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetnsIT {
    private static final RequestOptions EVENTUAL = RequestOptions.NONE.consistency("eventual");

    @TempDir
    static Path dir;
    Lab lab;
    LabState state;
    LabNetwork network;
    Map<String, MeridianClient> clients;

    @BeforeAll
    void up() throws Exception {
        String why = cannotMakeNamespaces();
        if (why != null) {
            System.out.println("NetnsIT skipped: lab up --netns cannot run here: " + why);
        }
        Assumptions.assumeTrue(why == null, "lab up --netns cannot run here: " + why);
        lab = LabFixture.up(dir, new LabTopology.Setup(0.2, 0, 0).withNetns(true));
        state = lab.state().orElseThrow();
        network = state.network();
        clients = LabFixture.clients(lab, Duration.ofSeconds(15));
    }

    @AfterAll
    void down() throws Exception {
        LabFixture.down(lab, clients, dir);
    }

    @Test
    @Order(1)
    void eachRegionHasItsOwnAddressAndReachesNoOtherRegionDirectly() throws Exception {
        assertThat(network).isNotNull();
        for (LabNetwork.Host h : network.hosts()) {
            LabState.RegionProcess r = state.region(h.region()).orElseThrow();
            assertThat(URI.create(r.url()).getHost()).isEqualTo(h.address());
            var cluster = clients.get(h.region()).cluster();
            assertThat(cluster.region()).isEqualTo(h.region());
            // what a region-aware client dials: every region at its own address
            for (LabNetwork.Host any : network.hosts()) {
                assertThat(cluster.regions()).filteredOn(c -> c.name().equals(any.region()))
                        .singleElement().satisfies(c -> assertThat(URI.create(c.url()).getHost()).isEqualTo(any.address()));
            }
            int ownPort = URI.create(r.url()).getPort();
            // inside its namespace, the region's own port is there on its address, and nobody else's
            assertThat(insideCanConnect(h, h.address(), ownPort)).as(h.region() + " to itself").isTrue();
            for (LabNetwork.Host other : network.hosts()) {
                if (other == h) {
                    continue;
                }
                int port = URI.create(state.region(other.region()).orElseThrow().url()).getPort();
                assertThat(insideCanConnect(h, other.address(), port)).as(h.region() + " to " + other.region() + " directly").isFalse();
                assertThat(insideCanConnect(h, "127.0.0.1", port)).as(h.region() + " to " + other.region() + " on loopback").isFalse();
                assertThat(insideCanConnect(h, other.hostAddress(), port)).as(h.region() + " to the host end of another veth").isFalse();
            }
        }
    }

    @Test
    @Order(2)
    void writesReplicateAndStrongWritesReachTheLeaderThroughTheEmulator() {
        long before = forwarded("replication", "us-east", "eu-west");
        clients.get("us-east").put("sessions", "netns-1", "{\"cart\": 3}");
        for (String r : List.of("eu-west", "ap-southeast")) {
            eventually(r).untilAsserted(() -> assertThat(clients.get(r).get("sessions", "netns-1", EVENTUAL)).isPresent());
        }
        assertThat(forwarded("replication", "us-east", "eu-west")).as("bytes on the emulated link").isGreaterThan(before);

        // ap-southeast does not lead the strong group: its write crosses the emulator to the leader
        clients.get("ap-southeast").put("accounts", "netns-a", "{\"balance\": 10}");
        assertThat(new String(clients.get("eu-west").get("accounts", "netns-a", RequestOptions.NONE).orElseThrow().bytes(),
                StandardCharsets.UTF_8)).contains("10");
    }

    @Test
    @Order(3)
    void aPartitionInTheEmulatorCutsARegionOffAndHealingBringsItsWritesBack() {
        lab.partition("us-east", "eu-west");
        lab.partition("us-east", "ap-southeast");
        try {
            clients.get("us-east").put("sessions", "netns-2", "{\"cart\": 5}");
            // cut off, the write cannot arrive anywhere: no other path exists
            eventually("during the partition").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(clients.get("eu-west").get("sessions", "netns-2", EVENTUAL)).isEmpty();
                assertThat(clients.get("ap-southeast").get("sessions", "netns-2", EVENTUAL)).isEmpty();
            });
        } finally {
            lab.heal(null, null);
        }
        for (String r : List.of("eu-west", "ap-southeast")) {
            eventually(r).untilAsserted(() -> assertThat(clients.get(r).get("sessions", "netns-2", EVENTUAL)).isPresent());
        }
    }

    @Test
    @Order(4)
    void downRemovesEveryNamespaceAndInterface() throws Exception {
        clients.values().forEach(MeridianClient::close);
        clients = null;
        lab.down(false);
        String namespaces = run("ip", "netns", "list");
        String links = run("ip", "-o", "link");
        for (LabNetwork.Host h : network.hosts()) {
            assertThat(namespaces).doesNotContain(h.namespace());
            assertThat(links).doesNotContain(h.hostInterface());
        }
    }

    private static org.awaitility.core.ConditionFactory eventually(String alias) {
        return org.awaitility.Awaitility.await(alias).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200));
    }

    private long forwarded(String kind, String from, String to) {
        JsonNode links = lab.status().links();
        for (JsonNode l : links) {
            if (l.path("kind").asText().equals(kind) && l.path("from").asText().equals(from) && l.path("to").asText().equals(to)) {
                return l.path("bytes_forwarded").asLong();
            }
        }
        throw new AssertionError("no " + kind + " link " + from + " -> " + to + " in " + links);
    }

    /** Whether a TCP connection from inside {@code h}'s namespace to {@code address:port} is accepted within 3 s. */
    private static boolean insideCanConnect(LabNetwork.Host h, String address, int port) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", h.namespace(), "timeout", "3", "bash", "-c",
                "exec 3<>/dev/tcp/" + address + "/" + port).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0;
    }

    /** Null when this process may make a network namespace; else why not. */
    private static String cannotMakeNamespaces() {
        String probe = "meridian-probe-" + ProcessHandle.current().pid();
        try {
            run("ip", "netns", "add", probe);
            run("ip", "netns", "del", probe);
            return null;
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + ": " + out.strip());
        }
        return out;
    }
}
