package io.meridian.core.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The failover logic across simulated regions (see {@link FailoverSimulation}), over many seeds.
 * A failing seed reproduces with {@code -Dmeridian.failover.seed=N}.
 */
class FailoverSimulationTest {
    private static final int SEEDS = Integer.getInteger("meridian.failover.seeds", 300);

    private static List<Long> seeds(long base) {
        Long only = Long.getLong("meridian.failover.seed");
        if (only != null) {
            return List.of(only);
        }
        List<Long> out = new ArrayList<>();
        for (long s = 0; s < SEEDS; s++) {
            out.add(base + s);
        }
        return out;
    }

    @Test
    void neverTwoWritersAndEveryDecisionConverges() {
        for (long seed : seeds(1_000)) {
            FailoverSimulation sim = new FailoverSimulation(seed);
            sim.addRandomFaults(false);
            sim.run();
            if (Long.getLong("meridian.failover.seed") != null) {
                sim.canonical.decisions().forEach(d -> System.out.println(d));
            }
            assertThat(sim.violations).as(sim.describe()).isEmpty();
            // After the faults stop and an operator approves what is pending, everything ends active and closed.
            assertThat(sim.canonical.regions()).as(sim.describe())
                    .allMatch(r -> r.status() == ControlState.Status.ACTIVE);
            assertThat(sim.canonical.decisions()).as(sim.describe()).noneMatch(ControlState.Decision::open);
            for (String home : sim.data) {
                assertThat(Ownership.acting(sim.canonical, sim.data, home)).as(sim.describe()).contains(home);
            }
        }
    }

    @Test
    void aBlipIsNotAFailure() {
        for (long seed : seeds(50_000)) {
            FailoverSimulation sim = new FailoverSimulation(seed);
            sim.addRandomFaults(true);
            sim.run();
            assertThat(sim.violations).as(sim.describe()).isEmpty();
            assertThat(sim.canonical.decisions()).as(sim.describe()).isEmpty();
        }
    }

    @Test
    void aRegionLostForGoodFailsOverWithinTheLeaseAndDetection() {
        int failedOver = 0;
        List<Long> rtos = new ArrayList<>();
        List<Long> leaderRtos = new ArrayList<>();
        for (long seed : seeds(90_000)) {
            FailoverSimulation sim = new FailoverSimulation(seed);
            String victim = sim.data.get((int) (seed % sim.data.size())); // the control plane's first leader too
            sim.faults.add(new FailoverSimulation.Fault("kill", victim, null, 5_000, 30_000));
            sim.run();
            if (Long.getLong("meridian.failover.seed") != null) {
                sim.canonical.decisions().forEach(d -> System.out.println(d));
            }
            assertThat(sim.violations).as(sim.describe()).isEmpty();
            if (sim.settings.policy() == FailoverSettings.Policy.MANUAL) {
                continue;
            }
            assertThat(sim.firstActivation).as(sim.describe()).containsKey(victim);
            long rto = sim.firstActivation.get(victim) - 5_000;
            (victim.equals(sim.leaderAtFault) ? leaderRtos : rtos).add(rto);
            assertThat(rto).as(sim.describe() + ": failover after " + rto + " ms").isBetween(
                    sim.settings.lease().toMillis(), 8_000L);
            failedOver++;
        }
        assertThat(failedOver).isPositive();
        rtos.sort(null);
        leaderRtos.sort(null);
        System.out.printf("failover simulation: activation after a kill, lease %d ms: victim not leading the control plane"
                        + " min/median/max %s ms (%d runs), victim leading it %s ms (%d runs)%n", FailoverSettings.DEFAULT.lease().toMillis(),
                spread(rtos), rtos.size(), spread(leaderRtos), leaderRtos.size());
    }

    private static String spread(List<Long> sorted) {
        return sorted.isEmpty() ? "-" : sorted.getFirst() + "/" + sorted.get(sorted.size() / 2) + "/" + sorted.getLast();
    }
}
