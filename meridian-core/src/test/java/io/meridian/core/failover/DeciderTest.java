package io.meridian.core.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeciderTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");

    private static FailoverSettings policy(FailoverSettings.Policy p) {
        FailoverSettings d = FailoverSettings.DEFAULT;
        return new FailoverSettings(p, d.heartbeat(), d.phiThreshold(), d.acceptablePause(), d.lease(), d.renewEvery(),
                d.reportEvery(), d.flapOnsets(), d.flapWindow(), false);
    }

    private static Command.Report report(String reporter, Set<String> suspects, long at) {
        return new Command.Report(reporter, 0, suspects, Set.of(), Map.of(), at);
    }

    @Test
    void theReportThatCompletesTheEvidenceBringsTheRaiseWithIt() {
        ControlState state = new ControlState(REGIONS, List.of());
        long now = 100_000;
        state.apply(report("us-east", Set.of("eu-west"), now - 200));
        Command.Report own = report("ap-southeast", Set.of("eu-west"), now);
        Decider.Inputs probedDown = new Decider.Inputs(now, Map.of("eu-west", false));

        List<Command> raises = Decider.raisesOnReport(state, policy(FailoverSettings.Policy.HYBRID), own, probedDown);
        assertThat(raises).singleElement().isInstanceOfSatisfying(Command.Raise.class, r -> {
            assertThat(r.region()).isEqualTo("eu-west");
            assertThat(r.act()).isTrue();
            assertThat(r.evidence()).anyMatch(e -> e.contains("fails from ap-southeast"));
        });

        assertThat(Decider.raisesOnReport(state, policy(FailoverSettings.Policy.HYBRID), own, new Decider.Inputs(now, Map.of())))
                .as("no readiness answer of its own yet").isEmpty();
        assertThat(Decider.raisesOnReport(state, policy(FailoverSettings.Policy.MANUAL), own, probedDown))
                .as("manual: only an operator acts").isEmpty();
        Command.Report alone = report("ap-southeast", Set.of("eu-west", "us-east"), now);
        ControlState quiet = new ControlState(REGIONS, List.of());
        quiet.apply(report("us-east", Set.of(), now - 200));
        assertThat(Decider.raisesOnReport(quiet, policy(FailoverSettings.Policy.HYBRID), alone,
                new Decider.Inputs(now, Map.of("eu-west", false, "us-east", false))))
                .as("hybrid: not clear-cut while the other live region does not suspect it").isEmpty();
        ControlState stale = new ControlState(REGIONS, List.of());
        stale.apply(report("us-east", Set.of("eu-west"), now - FailoverSettings.DEFAULT.reportTtl().toMillis() - Duration.ofSeconds(1).toMillis()));
        assertThat(Decider.raisesOnReport(stale, policy(FailoverSettings.Policy.HYBRID), own, probedDown))
                .as("the other region's suspicion is too old to count").isEmpty();
    }

    @Test
    void aNewLeaderCountsSuspicionsHeardOnHeartbeatsBeforeTheirReportsAreCommitted() {
        // eu-west led the control plane and died; ap-southeast leads now. No survivor's report naming
        // eu-west is committed yet (they went to the dead leader), but us-east said so on its heartbeat.
        ControlState state = new ControlState(REGIONS, List.of());
        long now = 100_000;
        state.apply(report("us-east", Set.of(), now - 300));
        state.apply(report("ap-southeast", Set.of(), now - 250));
        FailoverSettings hybrid = policy(FailoverSettings.Policy.HYBRID);
        Map<String, Boolean> down = Map.of("eu-west", false);

        assertThat(Decider.decide(state, hybrid, "ap-southeast", new Decider.Inputs(now, down)))
                .as("on committed reports alone nobody suspects it").isEmpty();

        Map<String, Set<String>> heard = Map.of("us-east", Set.of("eu-west"), "ap-southeast", Set.of("eu-west"));
        List<Command> commands = Decider.decide(state, hybrid, "ap-southeast", new Decider.Inputs(now, down, heard));
        assertThat(commands).singleElement().isInstanceOfSatisfying(Command.Raise.class, r -> {
            assertThat(r.region()).isEqualTo("eu-west");
            assertThat(r.act()).isTrue();
            assertThat(r.evidence()).contains("suspected by us-east, ap-southeast of 2 live regions (us-east, ap-southeast)",
                    "not yet in a committed report, the suspicion of us-east, ap-southeast (heard on heartbeats, or the deciding region's own)");
        });

        assertThat(Decider.decide(state, hybrid, "ap-southeast",
                new Decider.Inputs(now, down, Map.of("ap-southeast", Set.of("eu-west")))))
                .as("hybrid: the leader's own suspicion is not everyone's").isEmpty();

        // Two earlier episodes of suspicion are in the log: a third, only heard so far, makes it flapping.
        ControlState flappy = new ControlState(REGIONS, List.of());
        for (long episode : new long[] {now - 40_000, now - 20_000}) {
            flappy.apply(report("us-east", Set.of("eu-west"), episode));
            flappy.apply(report("us-east", Set.of(), episode + 5_000));
            flappy.apply(report("ap-southeast", Set.of(), episode + 5_000));
        }
        assertThat(Decider.assess(flappy, hybrid, "eu-west", new Decider.Inputs(now, down, heard)).flapping())
                .as("the heard episode is the third onset").isTrue();
        assertThat(Decider.decide(flappy, hybrid, "ap-southeast", new Decider.Inputs(now, down, heard)))
                .noneMatch(c -> c instanceof Command.Raise r && r.act());
        assertThat(Decider.decide(state, hybrid, "ap-southeast", new Decider.Inputs(now, Map.of("eu-west", true), heard)))
                .as("its readiness check still answers from the leader").isEmpty();
    }

    @Test
    void aRegionThatFailsWhileFailingBackGivesItsKeysBackToTheActingRegion() {
        ControlState state = new ControlState(REGIONS, List.of());
        long now = 100_000;
        state.apply(new Command.Raise("eu-west", true, "test", List.of(), now));
        state.apply(new Command.Report("us-east", state.epoch(), Set.of("eu-west"), Set.of(), Map.of(), now + 2, Set.of("eu-west")));
        state.apply(new Command.Report("ap-southeast", state.epoch(), Set.of("eu-west"), Set.of(), Map.of(), now + 3, Set.of("eu-west")));
        assertThat(state.status("eu-west")).isEqualTo(ControlState.Status.FAILED);
        state.apply(new Command.Rejoin("eu-west", 0, 0, 0, 0, now + 4, 0));
        state.apply(new Command.Failback("eu-west", "operator", now + 5));
        assertThat(state.status("eu-west")).isEqualTo(ControlState.Status.DRAINING);
        assertThat(Ownership.acting(state, REGIONS, "eu-west")).as("nobody writes its keys while it drains").isEmpty();

        // It dies while draining: everyone else suspects it and its readiness fails.
        state.apply(report("us-east", Set.of("eu-west"), now + 10_000));
        state.apply(report("ap-southeast", Set.of("eu-west"), now + 10_001));
        List<Command> commands = Decider.decide(state, policy(FailoverSettings.Policy.HYBRID), "ap-southeast",
                new Decider.Inputs(now + 10_002, Map.of("eu-west", false)));
        assertThat(commands).singleElement().isInstanceOf(Command.Raise.class);
        ControlState.Outcome o = state.apply(commands.getFirst());

        assertThat(o.detail()).isEqualTo("failback stopped");
        assertThat(state.status("eu-west")).isEqualTo(ControlState.Status.REJOINED);
        assertThat(Ownership.acting(state, REGIONS, "eu-west")).as("the next region writes them again").contains("ap-southeast");
        assertThat(state.apply(new Command.Restore("eu-west", now + 10_003)).applied()).as("a late restore is refused").isFalse();
        assertThat(state.apply(new Command.Failback("eu-west", "operator", now + 20_000)).applied()).as("it may fail back again").isTrue();
    }

    @Test
    void aSuspicionWithdrawnOnAHeartbeatNoLongerCountsThoughItsCommittedReportStillSaysSo() {
        // us-east came back and its failback began; both peers stopped suspecting it 0.1-0.3 s ago, but their reports
        // saying so are not committed yet: the committed ones still name us-east, and its readiness check fails
        // (still catching up).
        ControlState state = new ControlState(REGIONS, List.of());
        long now = 100_000;
        state.apply(report("eu-west", Set.of("us-east"), now - 400));
        state.apply(report("ap-southeast", Set.of("us-east"), now - 350));
        FailoverSettings hybrid = policy(FailoverSettings.Policy.HYBRID);
        Map<String, Boolean> notReady = Map.of("us-east", false);

        assertThat(Decider.decide(state, hybrid, "ap-southeast", new Decider.Inputs(now, notReady)))
                .as("on the committed reports alone it is raised").isNotEmpty();
        Map<String, Set<String>> withdrawn = Map.of("eu-west", Set.of(), "ap-southeast", Set.of());
        assertThat(Decider.decide(state, hybrid, "ap-southeast", new Decider.Inputs(now, notReady, withdrawn)))
                .as("both withdrew it since").isEmpty();
        assertThat(Decider.assess(state, hybrid, "us-east", new Decider.Inputs(now, notReady, Map.of("ap-southeast", Set.of())))
                .suspecters()).as("the judge's own word stands for it; eu-west, unheard, by its report").containsExactly("eu-west");
    }
}
