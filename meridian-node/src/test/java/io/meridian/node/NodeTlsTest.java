package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.meridian.tls.CertificateAuthority;
import io.meridian.tls.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node checks, before it starts, that its certificate names the hosts the others dial it by. */
class NodeTlsTest {
    @TempDir
    Path dir;

    private static final String CONFIG = """
            regions:
              - {name: us-east, http: 10.0.0.1:7001, replication: 10.0.0.1:7051}
              - {name: eu-west, http: 10.1.0.1:7001, replication: 10.1.0.1:7051}
            links:
              - {from: eu-west, to: us-east, via: east.proxy.example.com:7101, replication-via: 10.9.0.1:7151}
            keyspaces:
              - {name: sessions, policy: multi-master}
            tls: {dir: certs}
            """;

    @Test
    void aCertificateMissingAHostTheOthersDialIsRefusedNamingIt() throws Exception {
        MeridianConfig config = ConfigLoader.parse("t.yaml", CONFIG).resolvedAgainst(dir);
        assertThat(NodeTls.dialledBy(config, "us-east")).containsExactly("10.9.0.1", "east.proxy.example.com");
        Path certs = dir.resolve("certs");
        CertificateAuthority ca = CertificateAuthority.create(Instant.now(), Duration.ofDays(10));
        ca.save(certs);
        Instant now = Instant.now();
        CertificateAuthority.save(ca.issue(Identity.region("us-east"), List.of("10.0.0.1", "east.proxy.example.com"),
                now.minusSeconds(60), now.plus(Duration.ofDays(1))), certs);
        assertThatThrownBy(() -> NodeTls.of(config, "us-east")).isInstanceOf(NodeStartException.class)
                .hasMessageContaining("does not name 10.9.0.1").hasMessageContaining("--host 10.9.0.1");

        CertificateAuthority.save(ca.issue(Identity.region("us-east"), List.of("10.9.0.1", "*.proxy.example.com"),
                now.minusSeconds(60), now.plus(Duration.ofDays(1))), certs);
        NodeTls tls = NodeTls.of(config, "us-east");
        assertThat(tls.on()).isTrue();
        assertThat(tls.expiryWarning(now)).hasValueSatisfying(w -> assertThat(w).contains("expires at"));
        assertThat(tls.expiryWarning(now.plus(Duration.ofDays(2)))).hasValueSatisfying(w -> assertThat(w).contains("expired at"));
        assertThat(tls.expiryWarning(now.minus(Duration.ofDays(30)))).isEmpty();
    }
}
