package io.meridian.core.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.failover.ControlState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiJsonTest {

    private static FailoverView failovers() {
        ControlState.Decision d = new ControlState.Decision(3, "us-east", "suspected by 2 of 2", ControlState.DecisionStatus.FAILED_OVER,
                List.of("eu-west suspects us-east"), 1_000, List.of(new ControlState.Event(1_200, "fenced")), 41L,
                new ControlState.Rpo(2, 900, 950));
        return new FailoverView("eu-west", "automatic", 7, "ap-southeast", new FailoverView.Lease(true, 1_500, 3_000),
                List.of(new FailoverView.RegionStatus("us-east", false, "failed", 3L, Map.of("profiles", "eu-west"), List.of(),
                        null, 1)), List.of(new ControlState.LostRange("us-east", 41, 43, 3)), List.of(d),
                List.of(new FailoverView.Peer("us-east", 12_000L, 180L, 201.5, 50.0, 0.3, false, false)));
    }

    @Test
    void documentsAreSnakeCaseWithHyphenatedEnumsAndReadBackEqual() {
        FailoverView view = failovers();
        String json = new String(ApiJson.bytes(view), StandardCharsets.UTF_8);
        assertThat(json).contains("\"control_leader\":\"ap-southeast\"", "\"status\":\"failed-over\"", "\"raised_at_millis\":1000",
                "\"recent_suspicions\":1", "\"acting_for\":{\"profiles\":\"eu-west\"}",
                "\"heartbeat_mean_ms\":201.5", "\"warming_up\":false");
        assertThat(ApiJson.read(json.getBytes(StandardCharsets.UTF_8), FailoverView.class)).isEqualTo(view);
    }

    @Test
    void membersANewerNodeAddsAreIgnoredAndAStrangeEnumValueIsAClearError() {
        String newer = "{\"keyspace\":\"accounts\",\"leader\":\"us-east\",\"is_leader\":true,\"applied_index\":5,"
                + "\"leader_silent_millis\":0,\"membership\":\"rejoining\",\"added_later\":42}";
        StrongGroupView g = ApiJson.read(newer.getBytes(StandardCharsets.UTF_8), StrongGroupView.class);
        assertThat(g.membership()).isEqualTo(StrongGroupView.Membership.REJOINING);
        assertThat(g.isLeader()).isTrue();
        assertThatThrownBy(() -> ApiJson.read("{\"membership\":\"observer\"}".getBytes(StandardCharsets.UTF_8), StrongGroupView.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("StrongGroupView").hasMessageContaining("observer");
    }
}
