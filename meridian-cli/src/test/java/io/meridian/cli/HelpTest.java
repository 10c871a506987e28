package io.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers --help: an option of a command must not take a name the standard help options use. */
class HelpTest {
    private static void collect(CommandLine cmd, List<CommandLine> all) {
        all.add(cmd);
        cmd.getSubcommands().values().stream().distinct().forEach(sub -> {
            if (!sub.getCommandName().equals("help")) {
                collect(sub, all);
            }
        });
    }

    @Test
    void everyCommandAnswersHelpWithItsUsage() {
        List<CommandLine> all = new ArrayList<>();
        collect(new CommandLine(new Main()), all);
        assertThat(all).hasSizeGreaterThan(30);
        for (CommandLine cmd : all) {
            StringWriter out = new StringWriter();
            cmd.setOut(new PrintWriter(out));
            cmd.setErr(new PrintWriter(out));
            int exit = cmd.execute("--help");
            assertThat(exit).as("%s --help: %s", cmd.getCommandSpec().qualifiedName(), out).isZero();
            assertThat(out.toString()).as(cmd.getCommandSpec().qualifiedName()).startsWith("Usage: ");
        }
    }
}
