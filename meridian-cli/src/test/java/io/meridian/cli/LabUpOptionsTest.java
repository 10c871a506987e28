package io.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What `lab up` starts when nothing is said: TLS (tokens required); `--no-tls` for plain HTTP. */
class LabUpOptionsTest {
    private static LabCommand.Up parse(String... args) {
        CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(args);
        return (LabCommand.Up) parsed.subcommand().subcommand().commandSpec().userObject();
    }

    @Test
    void theLabRunsWithTlsUnlessToldNotTo() {
        assertThat(parse("lab", "up").tls).isTrue();
        assertThat(parse("lab", "up", "--tls").tls).isTrue();
        assertThat(parse("lab", "up", "--no-tls").tls).isFalse();
    }

    @Test
    void displayPathsAreRelativeToTheWorkingDirectoryWhenUnderIt() {
        java.nio.file.Path here = java.nio.file.Path.of("").toAbsolutePath();
        assertThat(LabCommand.Up.displayPath(here.resolve(".meridian/lab/curlrc"))).isEqualTo(".meridian/lab/curlrc");
        assertThat(LabCommand.Up.displayPath(java.nio.file.Path.of("/elsewhere/curlrc"))).isEqualTo("/elsewhere/curlrc");
    }
}
