package io.meridian.core.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RegionAgentTest {
    private static final long MS = 1_000_000;
    private final FailoverSettings settings = FailoverSettings.DEFAULT;
    private final ControlState state = new ControlState(List.of("us-east", "eu-west", "ap-southeast"), List.of());
    private final RegionAgent agent = new RegionAgent("us-east", List.of("eu-west", "ap-southeast"), settings);
    private final RegionAgent.Local local = new RegionAgent.Local(Map.of(), Set.of(), 0);

    private List<Command.Renew> renewalsAt(long nanos) {
        return agent.tick(nanos / MS, nanos, state, local, (a, t) -> new RegionAgent.LostScan.Rpo(0, 0, 0)).stream()
                .filter(Command.Renew.class::isInstance).map(Command.Renew.class::cast).toList();
    }

    @Test
    void aRenewalLeftUnansweredDoesNotHoldBackTheNext() {
        long renewEvery = settings.renewEvery().toNanos();
        long t = 1_000 * MS;
        assertThat(renewalsAt(t)).hasSize(1);
        assertThat(renewalsAt(t + renewEvery / 2)).as("not due yet").isEmpty();
        assertThat(renewalsAt(t + renewEvery)).as("the first is still unanswered; the next goes anyway").hasSize(1);
        agent.renewed(t + renewEvery, true);
        assertThat(agent.lease().valid(t + renewEvery + settings.lease().toNanos() - MS)).isTrue();
        assertThat(agent.lease().valid(t + renewEvery + settings.lease().toNanos())).isFalse();
    }

    @Test
    void renewalsInFlightAreBounded() {
        long renewEvery = settings.renewEvery().toNanos();
        long t = 1_000 * MS;
        int sent = 0;
        for (int i = 0; i < 20; i++) {
            sent += renewalsAt(t + i * renewEvery).size();
        }
        assertThat(sent).isEqualTo(RegionAgent.RENEWALS_IN_FLIGHT_MAX);
        agent.proposalFailed(new Command.Renew("us-east", 0));
        assertThat(renewalsAt(t + 20 * renewEvery)).as("one answered (failed): one more may go").hasSize(1);
    }

    @Test
    void aLateAnswerToAnOlderRenewalNeverShortensTheLease() {
        long t = 1_000 * MS;
        agent.renewed(t + 500 * MS, true);
        agent.renewed(t, true);
        assertThat(agent.lease().remainingNanos(t + 500 * MS)).isEqualTo(settings.lease().toNanos());
    }
}
