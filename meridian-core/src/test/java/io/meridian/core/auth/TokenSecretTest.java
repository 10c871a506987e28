package io.meridian.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenSecretTest {
    @Test
    void aTokensTextParsesBackAndMatchesOnlyItsOwnHash() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            TokenSecret s = TokenSecret.generate(random);
            assertThat(TokenSecret.parse(s.text())).as("seed %d", seed).contains(s);
            assertThat(s.text()).startsWith("mrd_").hasSize(64);
            assertThat(s.sha256()).hasSize(64).doesNotContain(s.secret());
            AccessToken stored = new AccessToken(s.id(), "t", List.of("admin"), s.sha256(), 0, "x", 0, 0, null);
            assertThat(s.matches(stored)).isTrue();
            TokenSecret other = TokenSecret.generate(random);
            assertThat(new TokenSecret(s.id(), other.secret()).matches(stored)).as("seed %d", seed).isFalse();
            assertThat(other.matches(stored)).isFalse();
            assertThat(s.toString()).doesNotContain(s.secret());
            ids.add(s.id());
        }
        assertThat(ids).as("seed %d", seed).hasSize(1_000);
    }

    @Test
    void onlyTheExactFormParses() {
        String good = TokenSecret.generate(new Random(1)).text();
        for (String bad : List.of("", "mrd_", good + "x", good.substring(0, good.length() - 1), good.replace("mrd_", "mrx_"),
                good.substring(0, 20) + "-" + good.substring(21), "mrd_0123456789ABCDEF_" + good.substring(21))) {
            assertThat(TokenSecret.parse(bad)).as(bad).isEmpty();
        }
        assertThat(TokenSecret.parse(null)).isEmpty();
    }
}
