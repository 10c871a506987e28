package io.meridian.core.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.traffic.GatewayRoutes.Decision;
import io.meridian.core.traffic.GatewayRoutes.Peer;
import io.meridian.core.traffic.GatewayRoutes.Route;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GatewayRoutesTest {
    private static final List<Peer> PEERS = List.of(new Peer("eu-west", true), new Peer("ap-southeast", true));

    @Test
    void localInstancesTakeTurnsAndANewUserIsPinnedHere() {
        Set<Route> seen = new HashSet<>();
        for (long turn = 0; turn < 6; turn++) {
            Decision d = GatewayRoutes.decide("us-east", List.of(true, false, true), PEERS, null, null, turn);
            seen.add(d.route());
            assertThat(d.pin()).isEqualTo("us-east");
        }
        assertThat(seen).containsExactlyInAnyOrder(new Route.Local(0), new Route.Local(2));
        assertThat(GatewayRoutes.decide("us-east", List.of(true), PEERS, null, "us-east", 0).pin()).isNull();
    }

    @Test
    void withNoHealthyLocalInstanceTheNearestHealthyRegionServesAndPinsTheUser() {
        Decision d = GatewayRoutes.decide("us-east", List.of(false, false), PEERS, null, null, 0);
        assertThat(d.route()).isEqualTo(new Route.Remote("eu-west"));
        assertThat(d.pin()).isEqualTo("eu-west");
        d = GatewayRoutes.decide("us-east", List.of(false), List.of(new Peer("eu-west", false), new Peer("ap-southeast", true)),
                null, "us-east", 0);
        assertThat(d.route()).isEqualTo(new Route.Remote("ap-southeast"));
        assertThat(d.pin()).isEqualTo("ap-southeast");
    }

    @Test
    void aPinnedUserStaysInItsRegionWhileItIsHealthyAndIsRepinnedWhenItIsNot() {
        Decision d = GatewayRoutes.decide("us-east", List.of(true), PEERS, null, "ap-southeast", 0);
        assertThat(d.route()).isEqualTo(new Route.Remote("ap-southeast"));
        assertThat(d.pin()).isNull();
        d = GatewayRoutes.decide("us-east", List.of(true), List.of(new Peer("eu-west", true), new Peer("ap-southeast", false)),
                null, "ap-southeast", 0);
        assertThat(d.route()).isEqualTo(new Route.Local(0));
        assertThat(d.pin()).isEqualTo("us-east");
        // A cookie naming a region that does not exist is ignored.
        assertThat(GatewayRoutes.decide("us-east", List.of(true), PEERS, null, "mars", 0).route()).isEqualTo(new Route.Local(0));
    }

    @Test
    void aRequestThatCrossedARegionIsServedHereOrRefusedNeverSentOn() {
        assertThat(GatewayRoutes.decide("eu-west", List.of(true), PEERS, "us-east", "ap-southeast", 0).route())
                .isEqualTo(new Route.Local(0));
        Decision d = GatewayRoutes.decide("eu-west", List.of(false), PEERS, "us-east", null, 0);
        assertThat(d.route()).isInstanceOfSatisfying(Route.Refuse.class, r -> assertThat(r.why()).contains("us-east"));
        assertThat(GatewayRoutes.decide("us-east", List.of(false), List.of(new Peer("eu-west", false)), null, null, 0).route())
                .isInstanceOf(Route.Refuse.class);
    }
}
