package io.meridian.core.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.auth.AccessToken;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Access tokens in the control plane: issued once per id and per live name, revoked once, kept for the record. */
class ControlTokensTest {
    private static AccessToken token(String id, String name, long expiresAt) {
        return new AccessToken(id, name, List.of("read:carts"), "ab".repeat(32), 10, "client ops", expiresAt, 0, null);
    }

    @Test
    void tokensAreIssuedRevokedAndKept() {
        ControlState s = new ControlState(List.of("us-east", "eu-west"), List.of());
        long epoch = s.epoch();
        assertThat(s.apply(new Command.IssueToken(token("0000000000000001", "shop", 0), 10)).applied()).isTrue();
        assertThat(s.apply(new Command.IssueToken(token("0000000000000001", "shop", 0), 10)).applied())
                .as("a retried proposal of the same token").isTrue();
        assertThat(s.tokens()).hasSize(1);
        ControlState.Outcome again = s.apply(new Command.IssueToken(token("0000000000000001", "other", 0), 11));
        assertThat(again.applied()).isFalse();
        assertThat(again.detail()).contains("already exists");
        ControlState.Outcome sameName = s.apply(new Command.IssueToken(token("0000000000000002", "shop", 0), 12));
        assertThat(sameName.applied()).isFalse();
        assertThat(sameName.detail()).contains("token 'shop' (0000000000000001) already exists");

        assertThat(s.apply(new Command.RevokeToken("0000000000000001", "client ops", 20)).applied()).isTrue();
        assertThat(s.token("0000000000000001").orElseThrow().revokedBy()).isEqualTo("client ops");
        assertThat(s.apply(new Command.RevokeToken("0000000000000001", "client ops", 20)).applied()).as("a retried revocation").isTrue();
        assertThat(s.apply(new Command.RevokeToken("0000000000000001", "client ops", 21)).detail()).contains("already revoked");
        assertThat(s.apply(new Command.RevokeToken("00000000000000ff", "client ops", 21)).detail()).contains("no token");
        // Once revoked (or expired), its name is free again; the revoked one stays listed.
        assertThat(s.apply(new Command.IssueToken(token("0000000000000002", "shop", 0), 22)).applied()).isTrue();
        assertThat(s.apply(new Command.IssueToken(token("0000000000000003", "brief", 25), 23)).applied()).isTrue();
        assertThat(s.apply(new Command.IssueToken(token("0000000000000004", "brief", 0), 30)).applied()).isTrue();
        assertThat(s.tokens()).extracting(AccessToken::id)
                .containsExactly("0000000000000001", "0000000000000002", "0000000000000003", "0000000000000004");
        assertThat(s.epoch()).as("tokens are not failovers: the epoch stays").isEqualTo(epoch);
    }
}
