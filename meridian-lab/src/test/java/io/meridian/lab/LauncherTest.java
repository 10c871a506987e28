package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** MERIDIAN_JVM_OPTS: the options every lab process gets after the lab's defaults. */
class LauncherTest {
    @Test
    void noneWhenUnsetOrBlank() {
        assertThat(Launcher.extraJvmArgs(null)).isEmpty();
        assertThat(Launcher.extraJvmArgs("  ")).isEmpty();
    }

    @Test
    void optionsSplitAtWhitespaceAndComeAfterTheDefaults() {
        assertThat(Launcher.extraJvmArgs(" -Xmx2g\t-XX:MaxGCPauseMillis=20 ")).containsExactly("-Xmx2g", "-XX:MaxGCPauseMillis=20");
    }

    @Test
    void anotherCollectorTurnsTheDefaultSerialOneOff() {
        // Two collectors selected would stop the JVM before it starts ("Multiple garbage collectors selected").
        assertThat(Launcher.extraJvmArgs("-XX:+UseG1GC -Xmx1g")).containsExactly("-XX:-UseSerialGC", "-XX:+UseG1GC", "-Xmx1g");
        assertThat(Launcher.extraJvmArgs("-XX:+UseSerialGC")).containsExactly("-XX:+UseSerialGC");
        assertThat(Launcher.DEFAULT_JVM_ARGS).contains("-XX:+UseSerialGC");
    }

    @Test
    void theDefaultsComeFirstSoThatWhatTheVariableSaysWins() {
        assertThat(Launcher.current("Main").jvmArgs()).startsWith(Launcher.DEFAULT_JVM_ARGS.toArray(String[]::new));
    }
}
