package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class VersionsTest {

    @Test
    void aVersionIsAQuotedStrongEntityTag() {
        assertThat(Versions.etag(42)).isEqualTo("\"42\"");
    }

    @Test
    void aStarMatchesAnyExistingVersionButNotAMissingKey() {
        Versions.Condition any = Versions.parseCondition("If-Match", " * ");
        assertThat(any.matches(7)).isTrue();
        assertThat(any.matches(0)).isFalse();
    }

    @Test
    void aListMatchesTheVersionsItNames() {
        Versions.Condition c = Versions.parseCondition("If-Match", "\"3\", \"5\"");
        assertThat(c.tags()).isEqualTo(List.of("3", "5"));
        assertThat(c.matches(5)).isTrue();
        assertThat(c.matches(4)).isFalse();
    }

    @Test
    void weakTagsParseButNeverMatch() {
        Versions.Condition c = Versions.parseCondition("If-Match", "W/\"3\", \"us-east:7\"");
        assertThat(c.tags()).containsExactly("us-east:7");
        assertThat(c.matches(3)).isFalse();
        assertThat(c.matches("us-east:7")).isTrue();
    }

    @Test
    void anUnquotedTagIsAMalformedHeaderNamingHeaderAndValue() {
        for (String bad : List.of("3", "\"3", "", "\"3\",", "\"a\"b\"")) {
            assertThatThrownBy(() -> Versions.parseCondition("If-Match", bad))
                    .as(bad)
                    .isInstanceOfSatisfying(MeridianException.class, e -> {
                        assertThat(e.type()).isEqualTo(ProblemType.MALFORMED_HEADER);
                        assertThat(e.detail()).startsWith("If-Match: '" + bad + "'");
                    });
        }
    }

    @Test
    void preconditionsReportTheCurrentVersion() {
        Preconditions ifMatch = new Preconditions(Versions.parseCondition("If-Match", "\"1\""), null);
        ifMatch.checkOrThrow("k", 1);
        assertThatThrownBy(() -> ifMatch.checkOrThrow("k", 2))
                .isInstanceOfSatisfying(MeridianException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.PRECONDITION_FAILED);
                    assertThat(e.detail()).contains("current version is \"2\"");
                });
        Preconditions create = new Preconditions(null, Versions.parseCondition("If-None-Match", "*"));
        create.checkOrThrow("k", 0);
        assertThatThrownBy(() -> create.checkOrThrow("k", 9)).hasMessageContaining("If-None-Match *");
        assertThatThrownBy(() -> ifMatch.checkOrThrow("k", 0)).hasMessageContaining("does not exist");
    }
}
