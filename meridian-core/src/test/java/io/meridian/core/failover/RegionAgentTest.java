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
    private final RegionAgent agent = new RegionAgent("us-east", List.of("eu-west", "ap-southeast"), settings, 0);
    private final RegionAgent.Local local = new RegionAgent.Local(Map.of(), Set.of(), 0);

    private Command.Report reportAt(RegionAgent a, long nanos) {
        return a.tick(nanos / MS, nanos, state, local, (x, y) -> new RegionAgent.LostScan.Rpo(0, 0, 0)).stream()
                .filter(Command.Report.class::isInstance).map(Command.Report.class::cast).findFirst().orElseThrow();
    }

    @Test
    void aLeaseHoldsWhileAMajorityWithThisRegionGrantedItRecently() {
        long t = 1_000 * MS;
        assertThat(agent.lease().valid(t)).as("nothing granted yet").isFalse();
        agent.leaseAnswer("eu-west", t, true);
        assertThat(agent.lease().valid(t + settings.lease().toNanos() - MS)).as("one peer and itself: two of three").isTrue();
        assertThat(agent.lease().valid(t + settings.lease().toNanos())).isFalse();
        agent.leaseAnswer("ap-southeast", t + 500 * MS, true);
        agent.leaseAnswer("eu-west", t - 900 * MS, true); // a late answer to an older request
        assertThat(agent.lease().remainingNanos(t + 500 * MS)).as("the latest grant counts").isEqualTo(settings.lease().toNanos());
        agent.leaseAnswer("ap-southeast", t + 600 * MS, false);
        assertThat(agent.lease().remainingNanos(t + 600 * MS)).as("a refusal takes that peer's grant away")
                .isEqualTo(settings.lease().toNanos() - 600 * MS);
    }

    @Test
    void refusedConnectionsRaiseSuspicionOnlyOfAPeerOnceHeardFrom() {
        long t = 1_000;
        for (int i = 0; i < 5; i++) {
            agent.refused("eu-west"); // still starting: nothing listens yet
        }
        assertThat(agent.suspects(t, 0)).as("a peer never heard from is suspected only after the grace").isEmpty();
        agent.heartbeat("eu-west", t);
        agent.heartbeat("ap-southeast", t);
        for (int i = 0; i < 2; i++) {
            agent.refused("eu-west"); // it was there, and its process is gone
        }
        assertThat(agent.refusedOutright("eu-west")).as("two refusals could be a restart's instant").isFalse();
        agent.refused("eu-west");
        assertThat(agent.suspects(t + 10, 0)).containsExactly("eu-west");
        assertThat(agent.refusedOutright("eu-west")).isTrue();
        assertThat(agent.refusedOutright("ap-southeast")).as("silent or not, it never refused").isFalse();
        agent.heartbeat("eu-west", t + 20);
        assertThat(agent.refusedOutright("eu-west")).as("an answer clears the refusals").isFalse();
    }

    /**
     * A peer that said it drains for a planned restart is not suspected while it is away (silent,
     * then refusing connections), for at most the grace; once it answers as usual again it is
     * watched as before.
     */
    @Test
    void aPeerRestartingOnPurposeIsNotSuspectedWithinTheGrace() {
        long t = 40_000;
        for (long at = t; at <= t + RegionAgent.WARM_UP_MILLIS; at += 200) {
            agent.heartbeat("eu-west", at, false);
            agent.heartbeat("ap-southeast", at);
        }
        long drained = t + RegionAgent.WARM_UP_MILLIS + 200;
        agent.heartbeat("eu-west", drained, true);
        agent.heartbeat("ap-southeast", drained);
        for (int i = 0; i < 5; i++) {
            agent.refused("eu-west"); // its process has exited
        }
        long away = drained + 15_000;
        for (long at = drained; at <= away; at += 200) {
            agent.heartbeat("ap-southeast", at);
        }
        assertThat(agent.restartingOnPurpose("eu-west", away)).isTrue();
        assertThat(agent.suspects(away, 0)).as("15 s away, refusing, on purpose").isEmpty();
        long past = drained + RegionAgent.PLANNED_RESTART_GRACE_MILLIS + 1;
        for (long at = away; at <= past; at += 200) {
            agent.heartbeat("ap-southeast", at);
        }
        assertThat(agent.suspects(past, 0)).as("away past the grace: suspected as any other").containsExactly("eu-west");

        agent.heartbeat("eu-west", past + 100, false); // back, and answering as usual
        assertThat(agent.restartingOnPurpose("eu-west", past + 100)).isFalse();
        for (int i = 0; i < RegionAgent.REFUSALS_SUSPECTED; i++) {
            agent.refused("eu-west");
        }
        assertThat(agent.suspects(past + 200, 0)).as("a crash after its return is suspected at once").containsExactly("eu-west");
    }

    @Test
    void aPeerThatHasJustStartedIsNotSuspectedFromSilenceAlone() {
        long t = 20_000;
        agent.heartbeat("eu-west", t);
        agent.heartbeat("ap-southeast", t);
        assertThat(agent.suspects(t + 5_000, 0)).as("a stall in its first seconds").isEmpty();
        for (long at = t + 200; at <= t + RegionAgent.WARM_UP_MILLIS; at += 200) {
            agent.heartbeat("ap-southeast", at);
        }
        assertThat(agent.suspects(t + RegionAgent.WARM_UP_MILLIS + 1, 0)).as("silent past its warm-up").containsExactly("eu-west");
    }

    @Test
    void aChangedSuspicionIsReportedAtOnceAndAnUnchangedReportOnlyRefreshed() {
        long t = 30_000;
        agent.heartbeat("eu-west", t);
        agent.heartbeat("ap-southeast", t);
        for (long at = t; at <= t + RegionAgent.WARM_UP_MILLIS; at += 200) {
            agent.heartbeat("eu-west", at);
            agent.heartbeat("ap-southeast", at);
        }
        long now = t + RegionAgent.WARM_UP_MILLIS;
        assertThat(reports(agent, now, local)).as("the first report").hasSize(1);
        Map<String, Long> moved = Map.of("us-east", 42L);
        assertThat(reports(agent, now + 200, new RegionAgent.Local(moved, Set.of(), 0)))
                .as("only watermarks moved: they wait for the refresh").isEmpty();
        // ap-southeast falls silent while eu-west keeps answering.
        long silent = now;
        for (now += 200; agent.suspects(now, 0).isEmpty(); now += 200) {
            agent.heartbeat("eu-west", now);
            assertThat(now - silent).as("suspected within the refresh interval").isLessThan(settings.reportEvery().toMillis());
        }
        List<Command.Report> changed = reports(agent, now, new RegionAgent.Local(moved, Set.of(), 0));
        assertThat(changed).as("a new suspicion goes at once, long before the refresh is due").hasSize(1);
        assertThat(changed.getFirst().suspects()).containsExactly("ap-southeast");
        assertThat(changed.getFirst().watermarks()).containsEntry("us-east", 42L);
        assertThat(reports(agent, now + 100, new RegionAgent.Local(moved, Set.of("eu-west"), 0)))
                .as("so does a peer seen stalled").hasSize(1);
        assertThat(reports(agent, now + 200, new RegionAgent.Local(moved, Set.of("eu-west"), 0))).isEmpty();
        assertThat(reports(agent, now + 100 + settings.reportEvery().toMillis(), new RegionAgent.Local(moved, Set.of("eu-west"), 0)))
                .as("the refresh").hasSize(1);
    }

    private List<Command.Report> reports(RegionAgent a, long millis, RegionAgent.Local l) {
        return a.tick(millis, millis * MS, state, l, (x, y) -> new RegionAgent.LostScan.Rpo(0, 0, 0)).stream()
                .filter(Command.Report.class::isInstance).map(Command.Report.class::cast).toList();
    }

    @Test
    void fourMembersNeedTwoGrants() {
        RegionAgent a = new RegionAgent("a", List.of("b", "c", "w"), settings, 0);
        a.leaseAnswer("b", 10 * MS, true);
        assertThat(a.lease().valid(11 * MS)).isFalse();
        a.leaseAnswer("w", 20 * MS, true);
        assertThat(a.lease().remainingNanos(21 * MS)).as("as long as the older of the two").isEqualTo(settings.lease().toNanos() - 11 * MS);
    }

    @Test
    void aPeerGrantsOnlyAnActiveDataRegionAndReportsItsLeaseExpiredOnlyOnceItsLastGrantIsOld() {
        RegionAgent east = new RegionAgent("eu-west", List.of("us-east", "ap-southeast"), settings, 0);
        long t = 10_000 * MS;
        assertThat(east.grant("us-east", state, t)).isTrue();
        assertThat(east.grant("nowhere", state, t)).isFalse();
        state.apply(new Command.Raise("us-east", true, "test", List.of(), 1));
        assertThat(east.grant("us-east", state, t + 100 * MS)).as("fenced: refused").isFalse();
        long wait = settings.leaseExpiryWait().toNanos();
        assertThat(reportAt(east, t + wait - MS).leasesExpired()).isEmpty();
        assertThat(reportAt(east, t + wait + settings.reportEvery().toNanos()).leasesExpired()).containsExactly("us-east");

        RegionAgent restarted = new RegionAgent("ap-southeast", List.of("us-east", "eu-west"), settings, t);
        assertThat(reportAt(restarted, t + wait - MS).leasesExpired())
                .as("it may have granted just before it restarted: it counts from its start").isEmpty();
        assertThat(reportAt(restarted, t + wait + settings.reportEvery().toNanos()).leasesExpired()).containsExactly("us-east");
    }

    @Test
    void noRegionFailsOverBeforeEnoughPeersSaidItsLeaseExpired() {
        ControlState s = new ControlState(List.of("a", "b", "c"), List.of());
        s.apply(new Command.Raise("a", true, "test", List.of(), 1));
        long epoch = s.epoch();
        s.apply(new Command.Report("b", epoch, Set.of("a"), Set.of(), Map.of("a", 5L), 2, Set.of("a")));
        s.apply(new Command.Report("c", epoch, Set.of("a"), Set.of(), Map.of("a", 4L), 2, Set.of()));
        assertThat(s.frozenComplete("a")).isTrue();
        ControlState.Outcome refused = s.apply(new Command.Activate("a", 3));
        assertThat(refused.applied()).isFalse();
        assertThat(refused.detail()).contains("waiting for 2 regions to report that a's lease has expired").contains("[b]");
        ControlState.Outcome last = s.apply(new Command.Report("c", epoch, Set.of("a"), Set.of(), Map.of("a", 4L), 4, Set.of("a")));
        assertThat(last.detail()).as("the report that completes the evidence activates the failover").isEqualTo("reported; failed over");
        assertThat(s.status("a")).isEqualTo(ControlState.Status.FAILED);
        assertThat(s.region("a").orElseThrow().cutoff()).isEqualTo(5);
        assertThat(s.decisions().getFirst().history().getLast().what()).contains("lease expired as reported by [b, c]");
        assertThat(s.apply(new Command.Activate("a", 5)).applied()).as("the leader's Activate finds it done").isFalse();
    }

    @Test
    void withAnAutomaticOrderAFailedRegionsKeysGoToTheNearestRegionByMeasuredRoundTrip() {
        ControlState s = new ControlState(List.of("a", "b", "c"), List.of());
        s.apply(new Command.Report("a", 1, Set.of(), Set.of(), Map.of(), 1, Set.of(), Map.of("b", 180L, "c", 40L)));
        s.apply(new Command.Report("b", 1, Set.of(), Set.of(), Map.of(), 1, Set.of(), Map.of("a", 170L, "c", 90L)));
        s.apply(new Command.Raise("a", true, "test", List.of(), 2));
        long epoch = s.epoch();
        s.apply(new Command.Report("b", epoch, Set.of("a"), Set.of(), Map.of("a", 1L), 3, Set.of("a"), Map.of("c", 90L)));
        s.apply(new Command.Report("c", epoch, Set.of("a"), Set.of(), Map.of("a", 1L), 3, Set.of("a"), Map.of("a", 44L, "b", 90L)));
        assertThat(s.status("a")).isEqualTo(ControlState.Status.FAILED);
        assertThat(s.successors("a")).as("c measured 40-44 ms from a, b 180 ms").containsExactly("c", "b");
        assertThat(Ownership.acting(s, s.successors("a"), "a")).contains("c");
        assertThat(Ownership.acting(s, List.of("a", "b", "c"), "a")).as("a configured order still says b").contains("b");
        assertThat(s.decisions().getFirst().history().getLast().what()).contains("[c 42 ms, b 180 ms]");
        ControlState restored = ControlState.restore(s.snapshot());
        assertThat(restored.successors("a")).containsExactly("c", "b");
    }

    /** eu-west's agent, having heard from both peers and granted us-east at {@code t}, then hearing only ap-southeast. */
    private static void silence(RegionAgent east, long fromMillis, long toMillis) {
        for (long at = fromMillis; at <= toMillis; at += 200) {
            east.heartbeat("ap-southeast", at);
        }
    }

    private Command.Report tick(RegionAgent a, ControlState s, long nanos, Map<String, Long> watermarks) {
        return a.tick(nanos / MS, nanos, s, new RegionAgent.Local(watermarks, Set.of(), 0), (x, y) -> new RegionAgent.LostScan.Rpo(0, 0, 0))
                .stream().filter(Command.Report.class::isInstance).map(Command.Report.class::cast).findFirst().orElse(null);
    }

    @Test
    void aSuspectedRegionWhoseLeaseRanOutIsWithheldUntilAReportLeavingItOutIsApplied() {
        RegionAgent east = new RegionAgent("eu-west", List.of("us-east", "ap-southeast"), settings, 0);
        long t = 30_000;
        for (long at = 0; at <= t; at += 200) {
            east.heartbeat("us-east", at);
            east.heartbeat("ap-southeast", at);
        }
        assertThat(east.grant("us-east", state, t * MS)).isTrue();
        silence(east, t, t + 1_000);
        long suspectedAt = t + 1_000; // about 0.9 s of silence is suspicion, well within a lease and its margin
        assertThat(east.suspects(suspectedAt, 0)).containsExactly("us-east");
        Command.Report early = tick(east, state, suspectedAt * MS, Map.of("us-east", 40L));
        assertThat(early.withheld()).as("suspected, but its last grant is younger than a lease and its margin").isEmpty();

        long expired = t + settings.leaseExpiryWait().toMillis();
        silence(east, suspectedAt, expired + 100);
        Command.Report freezing = tick(east, state, expired * MS, Map.of("us-east", 41L));
        assertThat(east.withholds("us-east")).isTrue();
        assertThat(freezing == null ? Map.of() : freezing.withheld()).as("frozen this tick: the watermark comes next tick").isEmpty();
        assertThat(east.grant("us-east", state, expired * MS)).as("no lease while withheld").isFalse();
        Command.Report promise = tick(east, state, (expired + 50) * MS, Map.of("us-east", 42L));
        assertThat(promise.withheld()).containsExactlyEntriesOf(Map.of("us-east", 42L));
        state.apply(promise);

        // A restarted agent is bound by the promise its last applied report made.
        RegionAgent restarted = new RegionAgent("eu-west", List.of("us-east", "ap-southeast"), settings, (expired + 60) * MS);
        assertThat(restarted.grant("us-east", state, (expired + 60) * MS)).isFalse();

        // us-east answers again: the promise is taken back by a report, and only once that report is applied.
        long back = expired + 100;
        for (long at = back; at <= back + 2_000; at += 200) {
            east.heartbeat("us-east", at);
        }
        Command.Report release = tick(east, state, (back + 2_000) * MS, Map.of("us-east", 42L));
        assertThat(release.withheld()).isEmpty();
        assertThat(east.withholds("us-east")).as("until its report is applied").isTrue();
        assertThat(east.grant("us-east", state, (back + 2_000) * MS)).isFalse();
        state.apply(release);
        tick(east, state, (back + 2_050) * MS, Map.of("us-east", 42L));
        assertThat(east.withholds("us-east")).isFalse();
        assertThat(east.grant("us-east", state, (back + 2_100) * MS)).isTrue();
    }

    @Test
    void aFenceDecidedOnceEveryOtherRegionWithholdsTheRegionFailsItOverAtOnce() {
        ControlState s = new ControlState(List.of("us-east", "eu-west", "ap-southeast"), List.of());
        s.apply(new Command.Report("eu-west", 0, Set.of("us-east"), Set.of(), Map.of("us-east", 42L), 10, Set.of(), Map.of(),
                Map.of("us-east", 42L)));
        s.apply(new Command.Report("ap-southeast", 0, Set.of("us-east"), Set.of(), Map.of("us-east", 40L), 11, Set.of(), Map.of(),
                Map.of("us-east", 40L)));
        ControlState.Outcome o = s.apply(new Command.Raise("us-east", true, "test", List.of(), 12));

        assertThat(o.detail()).contains("failed over");
        assertThat(s.status("us-east")).isEqualTo(ControlState.Status.FAILED);
        assertThat(s.region("us-east").orElseThrow().cutoff()).as("the highest frozen watermark").isEqualTo(42L);

        ControlState partial = new ControlState(List.of("us-east", "eu-west", "ap-southeast"), List.of());
        partial.apply(new Command.Report("eu-west", 0, Set.of("us-east"), Set.of(), Map.of("us-east", 42L), 10, Set.of(), Map.of(),
                Map.of("us-east", 42L)));
        partial.apply(new Command.Raise("us-east", true, "test", List.of(), 12));
        assertThat(partial.status("us-east")).as("ap-southeast may still grant it a lease").isEqualTo(ControlState.Status.FENCED);
        partial.apply(new Command.Report("ap-southeast", partial.epoch(), Set.of("us-east"), Set.of(), Map.of("us-east", 41L), 13,
                Set.of("us-east"), Map.of()));
        assertThat(partial.status("us-east")).as("its report after the fence completes it").isEqualTo(ControlState.Status.FAILED);
    }

    @Test
    void aPeerNeverHeardFromSinceTheStartIsSuspectedButNotWithheld() {
        long started = 5_000;
        RegionAgent restarted = new RegionAgent("eu-west", List.of("us-east", "ap-southeast"), settings, started * MS);
        long later = started + RegionAgent.NEVER_HEARD_GRACE_MILLIS + 1_000;
        assertThat(restarted.suspects(later, started)).containsExactly("ap-southeast", "us-east");
        Command.Report r = tick(restarted, state, later * MS, Map.of());
        tick(restarted, state, (later + 50) * MS, Map.of());
        assertThat(restarted.withholds("us-east")).as("its catch-up from them must not stall").isFalse();
        assertThat(r.withheld()).isEmpty();
    }
}
