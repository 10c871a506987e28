package io.meridian.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostsTest {
    @Test
    void namesMatchExactlyOrByOneWildcardLabel() {
        CertificateAuthority ca = CertificateAuthority.create(Instant.now(), Duration.ofDays(10));
        X509Certificate c = ca.issue(Identity.region("us-east"), List.of("*.example.com", "10.0.0.1", "::1"), Instant.now(),
                Instant.now().plusSeconds(60)).certificate();
        assertThat(Hosts.named(c, "a.example.com")).isTrue();
        assertThat(Hosts.named(c, "A.Example.COM")).isTrue();
        assertThat(Hosts.named(c, "a.b.example.com")).isFalse();
        assertThat(Hosts.named(c, "example.com")).isFalse();
        assertThat(Hosts.named(c, ".example.com")).as("an empty label").isFalse();
        assertThat(Hosts.named(c, "us-east")).as("its region name").isTrue();
        assertThat(Hosts.named(c, "10.0.0.1")).isTrue();
        assertThat(Hosts.named(c, "10.0.0.2")).isFalse();
        assertThat(Hosts.named(c, "0:0:0:0:0:0:0:1")).isTrue();
    }

    @Test
    void somethingShapedLikeAnAddressMustBeOne() {
        CertificateAuthority ca = CertificateAuthority.create(Instant.now(), Duration.ofDays(10));
        assertThatThrownBy(() -> ca.issue(Identity.region("x"), List.of("999.1.1.1"), Instant.now(), Instant.now().plusSeconds(1)))
                .hasMessageContaining("not an IP address");
    }
}
