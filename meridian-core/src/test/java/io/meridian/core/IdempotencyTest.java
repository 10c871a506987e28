package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IdempotencyTest {
    @Test
    void theHeaderIsATokenOrAQuotedStringOfVisibleAscii() {
        assertThat(Idempotency.parse(null)).isEmpty();
        assertThat(Idempotency.parse("8e03978e-40d5-43e8-bc93-6894a57f9324")).contains("8e03978e-40d5-43e8-bc93-6894a57f9324");
        assertThat(Idempotency.parse("\"order-42\"")).contains("order-42");
        assertThat(Idempotency.parse(" order-42 ")).contains("order-42");
        for (String bad : new String[] {"", "\"\"", "two words", "caf\u00e9", "x".repeat(256), "a\"b"}) {
            assertThatThrownBy(() -> Idempotency.parse(bad)).as(bad).isInstanceOfSatisfying(MeridianException.class,
                    e -> {
                        assertThat(e.type()).isEqualTo(ProblemType.MALFORMED_HEADER);
                        assertThat(e.detail()).startsWith("Idempotency-Key ");
                    });
        }
        assertThat(Idempotency.parse("x".repeat(255))).isPresent();
    }

    @Test
    void theFingerprintTellsRequestsApartWhereverTheirPartsSplit() {
        byte[] body = "v".getBytes(StandardCharsets.UTF_8);
        long a = Idempotency.fingerprint(body, "PUT", "ab", "c");
        assertThat(Idempotency.fingerprint(body, "PUT", "ab", "c")).isEqualTo(a);
        assertThat(Idempotency.fingerprint(body, "PUT", "a", "bc")).isNotEqualTo(a);
        assertThat(Idempotency.fingerprint("w".getBytes(StandardCharsets.UTF_8), "PUT", "ab", "c")).isNotEqualTo(a);
        assertThat(Idempotency.fingerprint(body, "DELETE", "ab", "c")).isNotEqualTo(a);
    }

    @Test
    void aKeySentAgainWithAnotherRequestIsRefusedAs422() {
        Idempotency first = new Idempotency("k", 1, true);
        assertThat(first.sameRequest(new Idempotency("k", 1, false))).isTrue();
        assertThat(first.sameRequest(new Idempotency("k", 2, false))).isFalse();
        MeridianException e = first.reused("carts");
        assertThat(e.type()).isEqualTo(ProblemType.IDEMPOTENCY_KEY_REUSED);
        assertThat(e.type().status()).isEqualTo(422);
        assertThat(e.detail()).contains("'k'").contains("carts");
    }
}
