package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeysTest {

    @Test
    void anEmptyKeyIsRefused() {
        assertThatThrownBy(() -> Keys.validate(""))
                .isInstanceOfSatisfying(MeridianException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.INVALID_KEY);
                    assertThat(e.detail()).contains("empty");
                });
    }

    @Test
    void aKeyOfExactly1KiBIsAccepted() {
        assertThat(Keys.validate("k".repeat(1024))).hasSize(1024);
    }

    @Test
    void aKeyOverOneKibibyteInUtf8IsRefusedEvenWhenShortInChars() {
        String key = "é".repeat(513); // 513 chars, 1026 bytes
        assertThatThrownBy(() -> Keys.validate(key))
                .isInstanceOfSatisfying(MeridianException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.INVALID_KEY);
                    assertThat(e.detail()).contains("1026 bytes").contains("at most 1024");
                    assertThat(e.extensions()).containsEntry("key_bytes", 1026);
                });
    }

    @Test
    void percentEscapesDecodeToUtf8IncludingSlashes() {
        assertThat(Keys.decodePathSegment("a%2Fb%20c%C3%A9")).isEqualTo("a/b cé");
        assertThat(Keys.decodePathSegment("user:42")).isEqualTo("user:42");
        assertThat(Keys.decodePathSegment("a+b")).as("a plus is kept").isEqualTo("a+b");
        assertThat(Keys.decodePathSegment("café%20au")).as("characters beyond ASCII, as some clients send them").isEqualTo("café au");
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedNotReplaced() {
        assertThatThrownBy(() -> Keys.decodePathSegment("%FF%FE"))
                .isInstanceOfSatisfying(MeridianException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.INVALID_KEY);
                    assertThat(e.detail()).contains("'%FF%FE'").contains("UTF-8");
                });
    }

    @Test
    void aMalformedEscapeIsRefusedWithItsOffset() {
        assertThatThrownBy(() -> Keys.decodePathSegment("ab%4"))
                .isInstanceOfSatisfying(MeridianException.class, e -> assertThat(e.detail()).contains("offset 2"));
        assertThatThrownBy(() -> Keys.decodePathSegment("%zz")).isInstanceOf(MeridianException.class);
    }
}
