package io.meridian.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code meridian test} runs the test suite from a source checkout. The {@code ./meridian}
 * launcher runs Maven itself before any JVM starts; this command exists so that {@code --help}
 * lists it, and to say so when the jar is run directly.
 */
@Command(name = "test", description = "Build and run the whole test suite from a source checkout (what CI runs):"
        + " `./meridian test [MAVEN-OPTIONS...]`; `./meridian test --help` for examples.")
final class TestCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "MAVEN-OPTIONS", description = "passed to Maven, e.g. -pl meridian-core")
    List<String> options;

    @Override
    public Integer call() {
        System.err.println("error: the test suite runs from a source checkout through the launcher: ./meridian test"
                + " (it runs ./mvnw verify); this jar alone cannot run it");
        return 2;
    }
}
