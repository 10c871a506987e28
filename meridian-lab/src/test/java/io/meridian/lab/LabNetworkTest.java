package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How {@code lab up --netns} plans its namespaces, before anything is made. */
class LabNetworkTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");

    @Test
    void eachRegionGetsAPointToPointSubnetOfItsOwnInsideOneSlash24() {
        LabNetwork n = LabNetwork.plan(Path.of("/tmp/some/lab"), REGIONS, "");
        assertThat(n.tag()).matches("[0-9a-f]{4}");
        Set<String> addresses = new HashSet<>();
        for (int i = 0; i < REGIONS.size(); i++) {
            LabNetwork.Host h = n.hosts().get(i);
            assertThat(h.region()).isEqualTo(REGIONS.get(i));
            assertThat(h.namespace()).isEqualTo("meridian-" + n.tag() + "-" + REGIONS.get(i));
            // Linux refuses interface names longer than 15 characters
            assertThat(h.hostInterface()).hasSizeLessThanOrEqualTo(15).isNotEqualTo(h.regionInterface());
            assertThat(h.regionInterface()).hasSizeLessThanOrEqualTo(15);
            int host = last(h.hostAddress());
            assertThat(last(h.address())).isEqualTo(host + 1);
            assertThat(host % 4).as("the first usable address of a /30").isEqualTo(1);
            assertThat(prefix(h.address())).isEqualTo(prefix(n.hosts().get(0).address())).startsWith("10.");
            assertThat(addresses.add(h.address()) && addresses.add(h.hostAddress())).isTrue();
        }
        assertThat(n.host("eu-west")).contains(n.hosts().get(1));
        assertThat(n.host("us-west")).isEmpty();
    }

    @Test
    void theSameDirectoryPlansTheSameNetworkAndAnotherDirectoryAnotherOne() {
        LabNetwork a = LabNetwork.plan(Path.of("/tmp/a/lab"), REGIONS, "");
        assertThat(LabNetwork.plan(Path.of("/tmp/a/../a/lab"), REGIONS, "")).isEqualTo(a);
        LabNetwork b = LabNetwork.plan(Path.of("/tmp/b/lab"), REGIONS, "");
        assertThat(b.tag()).isNotEqualTo(a.tag());
        assertThat(prefix(b.hosts().get(0).address())).isNotEqualTo(prefix(a.hosts().get(0).address()));
    }

    @Test
    void aSubnetAlreadyOnTheHostIsPassedOver() {
        LabNetwork free = LabNetwork.plan(Path.of("/lab"), REGIONS, "");
        String taken = prefix(free.hosts().get(0).address());
        String inUse = "2: eth0    inet " + taken + "7/24 brd " + taken + "255 scope global eth0\n";
        LabNetwork moved = LabNetwork.plan(Path.of("/lab"), REGIONS, inUse);
        assertThat(prefix(moved.hosts().get(0).address())).isNotEqualTo(taken);
        assertThat(moved.tag()).as("names stay the lab's").isEqualTo(free.tag());
    }

    @Test
    void commandsRunInsideTheRegionsNamespace() {
        LabNetwork n = LabNetwork.plan(Path.of("/lab"), REGIONS, "");
        assertThat(n.inside("eu-west", List.of("java", "-version")))
                .containsExactly("ip", "netns", "exec", n.hosts().get(1).namespace(), "java", "-version");
        assertThatThrownBy(() -> n.inside("mars", List.of("true"))).isInstanceOf(LabException.class).hasMessageContaining("mars");
    }

    private static int last(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf('.') + 1));
    }

    private static String prefix(String address) {
        return address.substring(0, address.lastIndexOf('.') + 1);
    }
}
