package io.meridian.replication.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.auth.AccessToken;
import io.meridian.core.failover.Command;
import io.meridian.core.failover.ControlState;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The control log's encoding of commands is a durable format: each command keeps its name, and decodes to itself. */
class ControlCodecTest {
    @Test
    void everyCommandKeepsItsNameInTheLogAndDecodesToItself() throws Exception {
        Map<String, Command> byName = Map.ofEntries(
                Map.entry("report", new Command.Report("us-east", 3, Set.of("eu-west"), Set.of(), Map.of("us-east", 10L), 1)),
                Map.entry("renew", new Command.Renew("us-east", 2)),
                Map.entry("raise", new Command.Raise("eu-west", true, "suspected", List.of("us-east suspects it"), 3)),
                Map.entry("approve", new Command.Approve(1, "operator", 4)),
                Map.entry("reject", new Command.Reject(1, "operator", 5)),
                Map.entry("withdraw", new Command.Withdraw(1, "evidence gone", 6)),
                Map.entry("activate", new Command.Activate("eu-west", 7)),
                Map.entry("rejoin", new Command.Rejoin("eu-west", 40, 2, 100, 200, 8)),
                Map.entry("failback", new Command.Failback("eu-west", "operator", 9)),
                Map.entry("restore", new Command.Restore("eu-west", 10)),
                Map.entry("issue-token", new Command.IssueToken(new AccessToken("0123456789abcdef", "shop", List.of("read:carts"),
                        "00".repeat(32), 11, "client ops", 0, 0, null), 11)),
                Map.entry("revoke-token", new Command.RevokeToken("0123456789abcdef", "client ops", 12)));
        for (Map.Entry<String, Command> e : byName.entrySet()) {
            byte[] bytes = ControlStateMachine.encode(e.getValue());
            assertThat(ControlStateMachine.JSON.readTree(bytes).path("type").asText()).isEqualTo(e.getKey());
            assertThat(ControlStateMachine.JSON.readValue(bytes, Command.class)).isEqualTo(e.getValue());
        }
        assertThat(byName).hasSize(Command.class.getPermittedSubclasses().length);
    }

    /** Snapshots are durable too: one written before access tokens existed loads, and tokens survive a round trip. */
    @Test
    void snapshotsFromBeforeTokensLoadAndTokensSurviveOne() throws Exception {
        ControlState state = new ControlState(List.of("us-east", "eu-west"), List.of());
        String older = ControlStateMachine.JSON.writeValueAsString(state.snapshot()).replace(",\"tokens\":[]", "");
        assertThat(older).doesNotContain("tokens");
        assertThat(ControlState.restore(ControlStateMachine.JSON.readValue(older, ControlState.Snapshot.class)).tokens()).isEmpty();

        AccessToken token = new AccessToken("0123456789abcdef", "shop", List.of("read:carts", "write:carts"), "ab".repeat(32), 5,
                "client ops via us-east", 0, 0, null);
        assertThat(state.apply(new Command.IssueToken(token, 5)).applied()).isTrue();
        assertThat(state.apply(new Command.RevokeToken(token.id(), "client ops via eu-west", 9)).applied()).isTrue();
        byte[] bytes = ControlStateMachine.JSON.writeValueAsBytes(state.snapshot());
        ControlState restored = ControlState.restore(ControlStateMachine.JSON.readValue(bytes, ControlState.Snapshot.class));
        assertThat(restored.tokens()).containsExactly(token.withRevocation("client ops via eu-west", 9));
    }
}
