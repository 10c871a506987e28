package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the replication simulation over many seeds. A failure names its seed; pin it in
 * {@link #REGRESSIONS} and replay it alone with {@code -Dmeridian.sim.seed=SEED}.
 * {@code -Dmeridian.sim.seeds=N} runs more seeds than the default.
 */
class ReplicationSimulationTest {
    private static final int DEFAULT_SEEDS = 2_000;
    private static final long[] REGRESSIONS = {};

    private static Simulation runSeed(long seed) {
        Simulation sim = new Simulation(seed);
        try {
            sim.run();
            sim.check();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("simulation seed " + seed + " failed: " + e.getMessage() + "\n" + sim.describe(), e);
        }
        return sim;
    }

    @Test
    void replicasConvergeAndNoAcknowledgedWriteVanishesUnderAnySeed() {
        String only = System.getProperty("meridian.sim.seed");
        if (only != null) {
            runSeed(Long.parseLong(only));
            return;
        }
        int seeds = Integer.getInteger("meridian.sim.seeds", DEFAULT_SEEDS);
        long writes = 0;
        long conflicts = 0;
        long sessionChecks = 0;
        long freshnessChecks = 0;
        long tombstones = 0;
        long forwards = 0;
        long unroutable = 0;
        long increments = 0;
        long appends = 0;
        long retried = 0;
        long refused = 0;
        long budgetChecks = 0;
        long budgetRefusals = 0;
        List<Long> failed = new ArrayList<>();
        AssertionError first = null;
        for (long seed = 1; seed <= seeds; seed++) {
            try {
                Simulation sim = runSeed(seed);
                writes += sim.acknowledged.size();
                conflicts += sim.conflictsSeen;
                sessionChecks += sim.sessionChecks;
                freshnessChecks += sim.freshnessChecks;
                tombstones += sim.tombstonesCollected;
                forwards += sim.forwards;
                unroutable += sim.unroutable;
                increments += sim.increments;
                appends += sim.appends;
                retried += sim.retriedAppends;
                refused += sim.refusedAppends;
                budgetChecks += sim.budgetChecks;
                budgetRefusals += sim.budgetRefusals;
            } catch (AssertionError e) {
                failed.add(seed);
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw new AssertionError(failed.size() + " of " + seeds + " seeds failed: " + failed, first);
        }
        System.out.printf("simulation: %d seeds, %d acknowledged writes (%d forwarded by the router, %d refused after a"
                        + " forward), %d conflicts resolved, %d session reads and %d freshness claims checked, %d tombstones"
                        + " collected, %d CRDT increments summed exactly, %d event appends (%d retries answered once,"
                        + " %d refused for a stale expected version), %d writes under an RPO budget of %d ms (%d refused over it)%n",
                seeds, writes, forwards, unroutable, conflicts, sessionChecks,
                freshnessChecks, tombstones, increments, appends, retried, refused, budgetChecks, Simulation.BUDGET.budgetMillis(),
                budgetRefusals);
        assertThat(conflicts).as("the workload must produce conflicts, or the conflict checks prove nothing").isPositive();
        assertThat(sessionChecks).as("session reads must be checked").isPositive();
        assertThat(freshnessChecks).as("freshness claims must be checked").isPositive();
        assertThat(forwards).as("the router must forward writes, or routing is not exercised").isPositive();
        assertThat(tombstones).as("tombstones must be collected, or their rule is not exercised").isPositive();
        assertThat(appends).as("streams must be appended to").isPositive();
        assertThat(retried).as("retried appends must be answered, or idempotency is not exercised").isPositive();
        assertThat(refused).as("stale expected versions must be refused, or the check is not exercised").isPositive();
        assertThat(budgetChecks).as("writes under the RPO budget must be checked").isPositive();
        assertThat(budgetRefusals).as("the budget must be exceeded sometimes (partitions), or its gate is not exercised").isPositive();
        assertThat(increments).as("CRDT counters must be incremented, or their merge is not exercised").isPositive();
    }

    @Test
    void pinnedRegressionSeedsPass() {
        for (long seed : REGRESSIONS) {
            runSeed(seed);
        }
    }

    @Test
    void aSeedReplaysExactly() {
        Simulation a = runSeed(42);
        Simulation b = runSeed(42);
        assertThat(a.now).isEqualTo(b.now);
        assertThat(a.acknowledged.keySet()).isEqualTo(b.acknowledged.keySet());
        assertThat(a.nodes.get("r0").disk.current).isEqualTo(b.nodes.get("r0").disk.current);
    }
}
