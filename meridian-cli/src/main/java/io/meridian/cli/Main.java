package io.meridian.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code meridian} command line. Exit codes: 0 done, 1 the operation failed, 2 bad usage or configuration. */
@Command(name = "meridian", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "meridian 0.1.0",
        description = "A multi-region data and traffic platform.",
        subcommands = {NodeCommand.class, LabCommand.class, CertsCommand.class, KvCommand.class, EventsCommand.class, ProjectionsCommand.class, BridgeCommand.class, FailoverCommand.class, WanCommand.class, GatewayCommand.class, DnsCommand.class, EdgeCommand.class, TrafficRegionCommand.class, TopCommand.class, CostCommand.class, TokensCommand.class, TestCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        // Libraries that log through java.util.logging (the gRPC inside Ratis) log in our format too.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        System.exit(run(args));
    }

    /** Runs the command line in this process and returns its exit code (the tests drive it this way). */
    public static int run(String... args) {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("error: " + e.getMessage());
                    return 1;
                })
                .execute(args);
    }
}
