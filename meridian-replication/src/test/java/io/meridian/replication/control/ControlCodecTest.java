package io.meridian.replication.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.failover.Command;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The control log's encoding of commands is a durable format: each command keeps its name, and decodes to itself. */
class ControlCodecTest {
    @Test
    void everyCommandKeepsItsNameInTheLogAndDecodesToItself() throws Exception {
        Map<String, Command> byName = Map.of(
                "report", new Command.Report("us-east", 3, Set.of("eu-west"), Set.of(), Map.of("us-east", 10L), 1),
                "renew", new Command.Renew("us-east", 2),
                "raise", new Command.Raise("eu-west", true, "suspected", List.of("us-east suspects it"), 3),
                "approve", new Command.Approve(1, "operator", 4),
                "reject", new Command.Reject(1, "operator", 5),
                "withdraw", new Command.Withdraw(1, "evidence gone", 6),
                "activate", new Command.Activate("eu-west", 7),
                "rejoin", new Command.Rejoin("eu-west", 40, 2, 100, 200, 8),
                "failback", new Command.Failback("eu-west", "operator", 9),
                "restore", new Command.Restore("eu-west", 10));
        for (Map.Entry<String, Command> e : byName.entrySet()) {
            byte[] bytes = ControlStateMachine.encode(e.getValue());
            assertThat(ControlStateMachine.JSON.readTree(bytes).path("type").asText()).isEqualTo(e.getKey());
            assertThat(ControlStateMachine.JSON.readValue(bytes, Command.class)).isEqualTo(e.getValue());
        }
        assertThat(byName).hasSize(Command.class.getPermittedSubclasses().length);
    }
}
