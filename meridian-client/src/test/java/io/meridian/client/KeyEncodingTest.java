package io.meridian.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.Keys;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyEncodingTest {

    @Test
    void anyUnicodeKeyRoundTripsThroughTheClientsEncodingAndTheNodesDecoding() {
        Random random = new Random(20261126);
        for (int i = 0; i < 10_000; i++) {
            StringBuilder key = new StringBuilder();
            int length = 1 + random.nextInt(20);
            while (key.length() < length) {
                int cp = random.nextInt(4) == 0 ? random.nextInt(0x80) : random.nextInt(0x10FFFF);
                if (Character.isValidCodePoint(cp) && !(cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
                    key.appendCodePoint(cp);
                }
            }
            String encoded = MeridianClient.encode(key.toString());
            assertThat(encoded).matches("[A-Za-z0-9._~%-]*");
            assertThat(Keys.decodePathSegment(encoded)).isEqualTo(key.toString());
        }
    }

    @Test
    void unreservedCharactersStayReadable() {
        assertThat(MeridianClient.encode("user-42_a.b~c")).isEqualTo("user-42_a.b~c");
        assertThat(MeridianClient.encode("a/b c")).isEqualTo("a%2Fb%20c");
    }
}
