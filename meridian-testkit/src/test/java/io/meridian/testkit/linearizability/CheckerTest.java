package io.meridian.testkit.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.testkit.linearizability.Checker.Verdict;
import io.meridian.testkit.linearizability.Operation.Input;
import io.meridian.testkit.linearizability.Operation.Output;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CheckerTest {
    private static final long BUDGET = 10_000_000;

    private static Operation write(int client, String value, long from, long to) {
        return Operation.completed(client, "k", new Input.Write(value), Output.done(true), from, to);
    }

    private static Operation read(int client, String value, long from, long to) {
        return Operation.completed(client, "k", new Input.Read(), Output.read(value), from, to);
    }

    private static Operation cas(int client, String expected, String value, boolean ok, long from, long to) {
        return Operation.completed(client, "k", new Input.Cas(expected, value), Output.done(ok), from, to);
    }

    private static Verdict verdict(Operation... ops) {
        return Checker.check(List.of(ops), BUDGET).verdict();
    }

    @Test
    void aSequentialHistoryIsLinearizable() {
        assertThat(verdict(read(1, null, 0, 1), write(1, "a", 2, 3), read(2, "a", 4, 5))).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aReadOverlappingAWriteMaySeeEitherValue() {
        assertThat(verdict(write(1, "a", 0, 10), read(2, null, 1, 2))).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(verdict(write(1, "a", 0, 10), read(2, "a", 1, 2))).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aStaleReadAfterACompletedWriteIsRejected() {
        assertThat(verdict(write(1, "a", 0, 2), read(2, null, 3, 4))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void readsThatGoBackInTimeAreRejected() {
        assertThat(verdict(write(1, "a", 0, 100), read(2, "a", 10, 20), read(3, null, 30, 40)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void twoCompareAndSetsFromTheSameValueCannotBothSucceed() {
        assertThat(verdict(write(1, "0", 0, 1), cas(2, "0", "a", true, 2, 10), cas(3, "0", "b", true, 3, 9)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(verdict(write(1, "0", 0, 1), cas(2, "0", "a", true, 2, 10), cas(3, "0", "b", false, 3, 9)))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void anOperationWithoutAnswerMayHaveHappenedOrNot() {
        Operation lost = Operation.unknown(1, "k", new Input.Write("a"), 0);
        assertThat(verdict(lost, read(2, "a", 5, 6))).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(verdict(lost, read(2, null, 5, 6))).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(verdict(lost, read(2, "a", 5, 6), read(3, null, 7, 8))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void keysAreIndependentRegisters() {
        Operation otherKey = Operation.completed(1, "other", new Input.Write("z"), Output.done(true), 0, 1);
        assertThat(verdict(otherKey, read(2, null, 5, 6))).isEqualTo(Verdict.LINEARIZABLE);
        Checker.Result r = Checker.check(List.of(otherKey, write(1, "a", 0, 2), read(2, null, 3, 4)), BUDGET);
        assertThat(r.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(r.key()).isEqualTo("k");
    }

    @Test
    void aHistoryOfARealRegisterIsAlwaysLinearizable() {
        Random random = new Random(7);
        for (int run = 0; run < 200; run++) {
            List<Operation> history = new ArrayList<>();
            String value = null;
            long now = 0;
            for (int i = 0; i < 30; i++) {
                long invoke = now + random.nextInt(5);
                long effect = invoke + 1 + random.nextInt(5);
                long answer = effect + random.nextInt(5);
                now = effect;
                switch (random.nextInt(3)) {
                    case 0 -> history.add(read(i % 4, value, invoke, answer));
                    case 1 -> {
                        value = "v" + i;
                        history.add(write(i % 4, value, invoke, answer));
                    }
                    default -> {
                        String expected = random.nextBoolean() ? value : "nope";
                        boolean ok = java.util.Objects.equals(expected, value);
                        if (ok) {
                            value = "c" + i;
                        }
                        history.add(cas(i % 4, expected, "c" + i, ok, invoke, answer));
                    }
                }
            }
            assertThat(Checker.check(history, BUDGET).verdict()).as("run " + run).isEqualTo(Verdict.LINEARIZABLE);
        }
    }

    @Test
    void aSearchThatRunsOutOfBudgetSaysUnknownNotLinearizable() {
        List<Operation> history = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            history.add(write(i, "v" + i, 0, 100));
        }
        history.add(read(99, "nothing-wrote-this", 200, 201));
        assertThat(Checker.check(history, 50).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(Checker.check(history, BUDGET).verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }
}
