package io.meridian.core.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DnsAnswersTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");
    private static final Map<String, List<String>> NEAREST = Map.of(
            "ap-southeast", List.of("ap-southeast", "eu-west", "us-east"),
            "eu-west", List.of("eu-west", "us-east", "ap-southeast"));

    @Test
    void theClientsRegionComesFirstThenTheNearestHealthyOnes() {
        Set<String> all = Set.copyOf(REGIONS);
        assertThat(DnsAnswers.order("ap-southeast", REGIONS, NEAREST, all)).containsExactly("ap-southeast", "eu-west", "us-east");
        assertThat(DnsAnswers.order("us-east", REGIONS, NEAREST, all)).containsExactly("us-east", "eu-west", "ap-southeast");
        assertThat(DnsAnswers.order(null, REGIONS, NEAREST, all)).containsExactly(REGIONS.toArray(String[]::new));
        assertThat(DnsAnswers.order("ap-southeast", REGIONS, NEAREST, Set.of("us-east", "eu-west")))
                .containsExactly("eu-west", "us-east");
        assertThat(DnsAnswers.order("mars", REGIONS, NEAREST, all)).containsExactly(REGIONS.toArray(String[]::new));
    }

    @Test
    void withNothingHealthyEveryRegionIsAnsweredRatherThanNone() {
        assertThat(DnsAnswers.order("eu-west", REGIONS, NEAREST, Set.of())).containsExactly("eu-west", "us-east", "ap-southeast");
    }

    @Test
    void theLongestSubnetContainingTheClientNamesItsRegion() {
        List<DnsAnswers.Subnet> subnets = List.of(DnsAnswers.Subnet.parse("10.0.0.0/8=us-east"),
                DnsAnswers.Subnet.parse("10.2.0.0/16=eu-west"), DnsAnswers.Subnet.parse("10.2.3.128/25=ap-southeast"),
                DnsAnswers.Subnet.parse("fd00::/8=eu-west"));
        assertThat(DnsAnswers.match(subnets, DnsAnswers.literal("10.9.9.9")).region()).isEqualTo("us-east");
        assertThat(DnsAnswers.match(subnets, DnsAnswers.literal("10.2.3.4")).region()).isEqualTo("eu-west");
        assertThat(DnsAnswers.match(subnets, DnsAnswers.literal("10.2.3.200")).region()).isEqualTo("ap-southeast");
        assertThat(DnsAnswers.match(subnets, DnsAnswers.literal("192.168.1.1"))).isNull();
        assertThat(DnsAnswers.match(subnets, DnsAnswers.literal("fd12::1")).region()).isEqualTo("eu-west");
        for (String bad : List.of("10.0.0.0=us-east", "10.0.0/8=us-east", "10.0.0.0/33=us-east", "10.0.0.0/8=", "x/8=a",
                "300.0.0.0/8=a")) {
            assertThatThrownBy(() -> DnsAnswers.Subnet.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
