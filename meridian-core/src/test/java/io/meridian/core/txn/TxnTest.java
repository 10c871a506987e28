package io.meridian.core.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TxnTest {
    private static Txn parse(String json) {
        return TxnParser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static TxnEvaluator.State state(Map<String, TxnEvaluator.Stored> map) {
        return key -> Optional.ofNullable(map.get(key));
    }

    private static final String TRANSFER = """
            {"if":   [{"key": "alice", "at_least": 30}, {"key": "bob", "exists": true}],
             "then": [{"add": {"key": "alice", "delta": -30}}, {"add": {"key": "bob", "delta": 30}}],
             "else": []}
            """;

    @Test
    void aTransferMovesMoneyWhenTheBalanceSuffices() {
        Map<String, TxnEvaluator.Stored> accounts = new HashMap<>(Map.of(
                "alice", new TxnEvaluator.Stored("100", 3), "bob", new TxnEvaluator.Stored("5", 4)));
        TxnEvaluator.Outcome o = TxnEvaluator.evaluate(parse(TRANSFER), state(accounts), 9);
        assertThat(o.succeeded()).isTrue();
        assertThat(o.writes()).containsExactly(Map.entry("alice", Optional.of("70")), Map.entry("bob", Optional.of("35")));
        assertThat(o.results()).containsExactly(new TxnEvaluator.Result("alice", 9, "70"), new TxnEvaluator.Result("bob", 9, "35"));
    }

    @Test
    void anOverdraftRunsTheElseBranchAndChangesNothingElse() {
        TxnEvaluator.Outcome o = TxnEvaluator.evaluate(parse(TRANSFER), state(Map.of(
                "alice", new TxnEvaluator.Stored("20", 3), "bob", new TxnEvaluator.Stored("5", 4))), 9);
        assertThat(o.succeeded()).isFalse();
        assertThat(o.writes()).isEmpty();
    }

    @Test
    void everyCompareKind() {
        TxnEvaluator.State s = state(Map.of("n", new TxnEvaluator.Stored("7", 2), "t", new TxnEvaluator.Stored("x", 5)));
        assertThat(TxnEvaluator.holds(new Txn.Compare.Version("t", 5), s.get("t"))).isTrue();
        assertThat(TxnEvaluator.holds(new Txn.Compare.Version("absent", 0), s.get("absent"))).isTrue();
        assertThat(TxnEvaluator.holds(new Txn.Compare.ValueEquals("t", "x"), s.get("t"))).isTrue();
        assertThat(TxnEvaluator.holds(new Txn.Compare.AtMost("n", 7), s.get("n"))).isTrue();
        assertThat(TxnEvaluator.holds(new Txn.Compare.AtLeast("n", 8), s.get("n"))).isFalse();
        assertThat(TxnEvaluator.holds(new Txn.Compare.AtLeast("t", 0), s.get("t"))).as("not an integer").isFalse();
        assertThat(TxnEvaluator.holds(new Txn.Compare.Exists("absent", false), s.get("absent"))).isTrue();
    }

    @Test
    void operationsOnOneKeySeeTheEarlierOnesOfTheSameBranch() {
        Txn txn = parse("""
                {"then": [{"put": {"key": "c", "value": "1"}}, {"add": {"key": "c", "delta": 4}},
                          {"delete": {"key": "d"}}, {"add": {"key": "fresh", "delta": -2}}]}""");
        TxnEvaluator.Outcome o = TxnEvaluator.evaluate(txn, state(Map.of("d", new TxnEvaluator.Stored("x", 1))), 3);
        assertThat(o.writes()).containsExactly(Map.entry("c", Optional.of("5")), Map.entry("d", Optional.empty()),
                Map.entry("fresh", Optional.of("-2")));
        assertThat(o.results()).contains(new TxnEvaluator.Result("d", 0, null));
    }

    /** Found by fuzzing a region: 5,000 nested brackets answered 500 (the parser's limit error has no location). */
    @Test
    void aBodyNestedPastTheParsersLimitIsAnInvalidTransaction() {
        for (String body : java.util.List.of("{\"if\":" + "[".repeat(5_000), "{\"if\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}")) {
            assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(MeridianException.class,
                    e -> assertThat(e.type()).isEqualTo(ProblemType.INVALID_TRANSACTION));
        }
    }

    @Test
    void anAddOnANonIntegerFailsTheWholeTransactionNamingTheKey() {
        Txn txn = parse("{\"then\": [{\"add\": {\"key\": \"ok\", \"delta\": 1}}, {\"add\": {\"key\": \"name\", \"delta\": 1}}]}");
        assertThatThrownBy(() -> TxnEvaluator.evaluate(txn, state(Map.of("name", new TxnEvaluator.Stored("Ada", 1))), 2))
                .isInstanceOfSatisfying(MeridianException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.NOT_AN_INTEGER);
                    assertThat(e.type().status()).isEqualTo(409);
                    assertThat(e.detail()).contains("'name'").contains("'Ada'");
                });
        Txn overflow = parse("{\"then\": [{\"add\": {\"key\": \"n\", \"delta\": 1}}]}");
        assertThatThrownBy(() -> TxnEvaluator.evaluate(overflow, state(Map.of("n",
                new TxnEvaluator.Stored(Long.toString(Long.MAX_VALUE), 1))), 2)).hasMessageContaining("overflows");
    }

    @Test
    void malformedBodiesAreRefusedNamingTheMember() {
        Map<String, String> cases = Map.of(
                "not json", "(body): not JSON",
                "[]", "(body): expected an object",
                "{\"iff\": []}", "iff: unknown member",
                "{\"if\": [{\"key\": \"a\"}]}", "if[0]: names none",
                "{\"if\": [{\"key\": \"a\", \"exists\": true, \"version\": 1}]}", "if[0]: names [exists, version]",
                "{\"if\": [{\"key\": \"a\", \"at_least\": \"30\"}]}", "if[0].at_least: expected an integer",
                "{\"then\": [{\"add\": {\"key\": \"a\", \"delta\": 1.5}}]}", "then[0].add.delta: expected an integer",
                "{\"then\": [{\"put\": {\"key\": \"\", \"value\": \"v\"}}]}", "then[0].put.key: the key is empty",
                "{\"else\": [{\"put\": {\"key\": \"a\"}}]}", "else[0].put.value: missing",
                "{\"then\": [{\"put\": {\"key\": \"a\", \"value\": \"v\", \"ttl\": 3}}]}", "then[0].put.ttl: unknown member");
        cases.forEach((body, expected) -> assertThatThrownBy(() -> parse(body)).as(body)
                .isInstanceOfSatisfying(MeridianException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.INVALID_TRANSACTION);
                    assertThat(e.detail()).startsWith(expected);
                }));
    }

    @Test
    void aTransactionIsBounded() {
        String ops = String.join(",", java.util.Collections.nCopies(Txn.MAX_ITEMS + 1, "{\"delete\": {\"key\": \"k\"}}"));
        assertThatThrownBy(() -> parse("{\"then\": [" + ops + "]}")).hasMessageContaining("at most " + Txn.MAX_ITEMS);
        assertThat(parse("{}").then()).isEqualTo(List.of());
    }
}
