package io.meridian.cli;

import io.meridian.lab.Lab;
import io.meridian.lab.LabException;
import io.meridian.lab.LabState;
import io.meridian.lab.LabTopology;
import io.meridian.lab.Launcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "lab", description = "The local multi-region lab: a node per region and a WAN emulator between them.",
        subcommands = {LabCommand.Up.class, LabCommand.Down.class, LabCommand.Status.class, LabCommand.Kill.class, LabCommand.Roll.class,
                LabCommand.Revive.class, LabCommand.Partition.class, LabCommand.Heal.class, LabCommand.Bench.class,
                LabCommand.BenchStrong.class, LabCommand.BenchCrdt.class, LabCommand.BenchEvents.class, LabCommand.BenchLatency.class,
                LabCommand.DrillCommand.class, LabCommand.Users.class, LabCommand.WanProxyCommand.class})
final class LabCommand {
    @Option(names = "--lab-dir", paramLabel = "DIR", description = "where the lab keeps its state (default: $MERIDIAN_HOME/.meridian/lab, else ./.meridian/lab)")
    Path labDir;

    Lab lab() {
        return new Lab(labDir != null ? labDir : defaultDir(), Launcher.current(Main.class.getName()), System.out);
    }

    static Path defaultDir() {
        String home = System.getenv("MERIDIAN_HOME");
        return (home != null ? Path.of(home) : Path.of("")).resolve(".meridian/lab");
    }

    /**
     * The state of the lab running from {@code labDir} (null: the default), for commands that talk
     * to a node: they take {@code --url} instead when no lab runs.
     */
    static io.meridian.lab.LabState running(Path labDir) {
        io.meridian.lab.Lab lab = lab(labDir);
        return lab.state().orElseThrow(() -> new io.meridian.lab.LabException(
                "no lab is running from " + lab.root() + "; start one with `./meridian lab up`, or give --url"));
    }

    /** The lab kept in {@code labDir} (the default one when null). */
    static io.meridian.lab.Lab lab(Path labDir) {
        return new io.meridian.lab.Lab(labDir != null ? labDir : defaultDir(), Launcher.current(Main.class.getName()), System.out);
    }

    /** Runs a lab action, printing a LabException as one line and exit code 1. */
    abstract static class Action implements Callable<Integer> {
        @ParentCommand
        LabCommand parent;

        @Override
        public Integer call() throws Exception {
            try {
                return run(parent.lab());
            } catch (LabException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }

        abstract int run(Lab lab) throws Exception;
    }

    @Command(name = "up", description = "Start the lab and wait until every region is ready. Without --detach, Ctrl-C stops it.")
    static final class Up extends Action {
        /** How often a foreground lab looks for its state, to notice a `lab down` from another shell. */
        static final long STATE_POLL_MILLIS = 1_000;

        @Option(names = "--detach", description = "return once ready, leaving the lab running in the background")
        boolean detach;

        @Option(names = "--latency-scale", defaultValue = "1.0", description = "multiply every WAN delay (default ${DEFAULT-VALUE})")
        double latencyScale;

        @Option(names = "--jitter-ms", defaultValue = "0", description = "random extra delay up to this, before scaling (default ${DEFAULT-VALUE})")
        long jitterMillis;

        @Option(names = "--bandwidth-kbps", defaultValue = "0", description = "cap each link's bandwidth; 0 = no cap (default ${DEFAULT-VALUE})")
        long bandwidthKbps;

        @Option(names = "--retained-log-entries", defaultValue = "0", description = "entries of each origin every replication log keeps; 0 = the nodes' default (1,000,000)")
        long retainedLogEntries;

        @Option(names = "--compression", paramLabel = "deflate|none", description = "how nodes send replication batches:"
                + " deflate (the nodes' default) or none")
        String compression;

        @Option(names = "--canary-ms", paramLabel = "MS", description = "how often each region writes its canary beat, in"
                + " milliseconds; 0 = no canaries (default: the nodes' 1000)")
        Long canaryMillis;

        @Option(names = "--failover", defaultValue = "hybrid", description = "failover policy: auto, manual or hybrid (default ${DEFAULT-VALUE})")
        String failover;

        @Option(names = "--auto-failback", description = "give a region that failed over its keys back once it has rejoined and caught up")
        boolean autoFailback;

        @Option(names = "--rpo-budget", paramLabel = "BUDGET", description = "give catalog, profiles and sessions this RPO budget"
                + " (e.g. 250ms, 0): a region stops acknowledging writes no other region holds once the oldest is older")
        String rpoBudget;
        @Option(names = "--on-budget-exceeded", paramLabel = "MODE", description = "with --rpo-budget: wait (for another region's"
                + " copy) or refuse (503) (default: wait)")
        String onBudgetExceeded;
        @Option(names = "--witness", description = "two data regions (us-east, eu-west) and a witness (us-west) instead of three data regions")
        boolean witness;

        @Option(names = "--base-port", defaultValue = "7001", description = "regions' HTTP on PORT.., replication on PORT+50.., consensus on PORT+60.., WAN control on PORT+99, links on PORT+100.., +110.., +120..; 0 = any free ports (default ${DEFAULT-VALUE})")
        int basePort;

        @Option(names = "--traffic", description = "also the traffic layer: per region a demo shop, its gateway and an edge;"
                + " one DNS for the lab (docs/traffic.md)")
        boolean traffic;

        @Option(names = "--tls", negatable = true, defaultValue = "true", fallbackValue = "true", description = "TLS everywhere,"
                + " the default: a CA and certificates in the lab's certs/ directory, HTTPS to the regions, mutual TLS between them,"
                + " access tokens required (docs/security.md); --no-tls: plain HTTP, anonymous")
        boolean tls;

        @Option(names = "--netns", description = "each region in its own Linux network namespace with its own address,"
                + " reaching the others only through the WAN emulator (needs root; docs/lab.md)")
        boolean netns;

        @Option(names = "--dns-ttl", defaultValue = "10", description = "with --traffic: the TTL of the DNS's answers, in seconds (default ${DEFAULT-VALUE})")
        int dnsTtl;

        @Option(names = "--timeout", defaultValue = "90", description = "seconds to wait for readiness (default ${DEFAULT-VALUE})")
        long timeoutSeconds;

        @Spec
        CommandSpec spec;

        @Override
        int run(Lab lab) throws InterruptedException {
            if (latencyScale < 0 || latencyScale > 100 || jitterMillis < 0 || bandwidthKbps < 0 || basePort < 0 || basePort > 65_435) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "expected --latency-scale 0..100, --jitter-ms >= 0, --bandwidth-kbps >= 0, --base-port 0..65435");
            }
            if (retainedLogEntries != 0 && retainedLogEntries < 1_000) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected --retained-log-entries 0 or at least 1000");
            }
            if (compression != null && !java.util.List.of("deflate", "none").contains(compression)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected --compression deflate or none, not '"
                        + compression + "'");
            }
            if (canaryMillis != null && canaryMillis != 0 && (canaryMillis < 100 || canaryMillis > 600_000)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected --canary-ms 0 (no canaries) or 100..600000");
            }
            if (!java.util.List.of("auto", "manual", "hybrid").contains(failover)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected --failover auto, manual or hybrid, not '" + failover + "'");
            }
            if (rpoBudget != null && !rpoBudget.matches("0|[0-9]+(ms|s)")) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected --rpo-budget 0 or a whole number of ms or s"
                        + " (e.g. 250ms, 2s), not '" + rpoBudget + "'");
            }
            if (onBudgetExceeded != null && (rpoBudget == null || !java.util.List.of("wait", "refuse").contains(onBudgetExceeded))) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected --on-budget-exceeded wait or refuse,"
                        + " with --rpo-budget");
            }
            LabState state = lab.up(basePort, new LabTopology.Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries)
                    .withFailover(failover, autoFailback).withWitness(witness).withRpoBudget(rpoBudget, onBudgetExceeded)
                    .withCompression(compression).withCanary(canaryMillis).withTls(tls).withNetns(netns),
                    Duration.ofSeconds(timeoutSeconds), traffic, dnsTtl);
            for (LabState.RegionProcess r : state.regions()) {
                System.out.printf("  %-13s %s%n", r.name(), r.url());
            }
            if (state.traffic() != null) {
                System.out.println("  traffic layer (service " + state.traffic().serviceName() + ", DNS on UDP "
                        + state.traffic().dnsAddress() + "):");
                for (LabState.TrafficProcess t : state.traffic().regions()) {
                    System.out.printf("  %-13s gateway %s  edge %s  shop %s%n", t.name(), t.gateway(), t.edge(), t.service());
                }
            }
            System.out.println("  logs and data in " + lab.root());
            if (tls) {
                System.out.println("  TLS: the lab's CA and client certificate (an administrator) for curl: curl -K "
                        + displayPath(lab.curlConfig()) + " https://127.0.0.1:" + portOf(state.regions().getFirst().url()) + "/v1/health");
            }
            if (detach) {
                System.out.println("running in the background; `./meridian lab down` stops it");
                return 0;
            }
            System.out.println("Ctrl-C stops the lab");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> lab.down(false), "lab-down"));
            // `lab down` from another shell removes the lab's state: notice it, and end too.
            while (lab.state().isPresent()) {
                Thread.sleep(STATE_POLL_MILLIS);
            }
            System.out.println("the lab was stopped (`lab down` from another shell)");
            return 0;
        }

        /** {@code path} as the user can type it: relative to the working directory when under it. */
        static String displayPath(java.nio.file.Path path) {
            java.nio.file.Path here = java.nio.file.Path.of("").toAbsolutePath();
            java.nio.file.Path p = path.toAbsolutePath().normalize();
            return p.startsWith(here) ? here.relativize(p).toString() : p.toString();
        }

        private static int portOf(String url) {
            return java.net.URI.create(url).getPort();
        }
    }

    @Command(name = "down", description = "Stop every process of the lab. Data is kept unless --purge.")
    static final class Down extends Action {
        @Option(names = "--purge", description = "also delete the regions' data")
        boolean purge;

        @Override
        int run(Lab lab) {
            System.out.println(lab.down(purge) ? "lab stopped" : "no lab was running");
            return 0;
        }
    }

    @Command(name = "status", description = "Show each region's health and the WAN links.")
    static final class Status extends Action {
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        int run(Lab lab) {
            Lab.Status status = lab.status();
            if (json) {
                System.out.println(Lab.toJson(status));
                return 0;
            }
            if (!status.running()) {
                System.out.println("no lab is running (" + status.root() + ")");
                return 0;
            }
            System.out.printf("%-13s %-26s %-10s %-8s %s%n", "REGION", "URL", "STATUS", "PID", "NOTES");
            for (Lab.RegionStatus r : status.regions()) {
                System.out.printf("%-13s %-26s %-10s %-8d %s%n", r.name(), r.url(), r.status(), r.pid(),
                        String.join("; ", r.reasons()));
            }
            if (status.network() != null) {
                System.out.printf("%nnetwork namespaces (each region reaches the others only through the WAN emulator):%n");
                status.network().hosts().forEach(h -> System.out.printf("  %-13s %-28s %-15s links leave via %s%n", h.region(),
                        h.namespace(), h.address(), h.hostAddress()));
            }
            System.out.printf("%nreplication (this region's writes not yet acknowledged by each peer):%n");
            for (Lab.RegionStatus r : status.regions()) {
                if (r.replication() == null) {
                    continue;
                }
                StringBuilder line = new StringBuilder(String.format("  %-13s", r.name()));
                r.replication().path("peers").forEach(p -> line.append(String.format("  -> %s %d entries %d ms",
                        p.path("region").asText(), p.path("lag_entries").asLong(), p.path("lag_ms").asLong())));
                line.append(String.format("  | %d writes nowhere else, %d conflicts",
                        r.replication().path("unreplicated_writes").asLong(), r.replication().path("conflicts_detected").asLong()));
                System.out.println(line);
            }
            if (status.dns() != null) {
                System.out.printf("%ntraffic layer: DNS for %s on UDP %s%n", status.serviceName(), status.dns());
                for (Lab.RegionStatus r : status.regions()) {
                    if (r.gateway() != null) {
                        System.out.printf("  %-13s gateway %s  edge %s  shop %s%n", r.name(), r.gateway(), r.edge(), r.service());
                    }
                }
            }
            if (status.links() != null) {
                System.out.printf("%nlinks (latency scale %s):%n", status.latencyScale());
                status.links().forEach(l -> System.out.printf("  %-11s %-13s -> %-13s %7.1f ms one way  %s%n",
                        l.path("kind").asText(), l.path("from").asText(), l.path("to").asText(), l.path("one_way_ms").asDouble(),
                        l.path("cut").asBoolean() ? "CUT" : "up"));
            } else {
                System.out.println("the WAN emulator does not answer");
            }
            return 0;
        }
    }

    @Command(name = "kill", description = "SIGKILL a region's node (and its traffic layer, in a lab started with --traffic).")
    static final class Kill extends Action {
        @Parameters(paramLabel = "REGION", description = "the region whose node to kill, e.g. ap-southeast")
        String region;

        @Override
        int run(Lab lab) {
            lab.kill(region);
            System.out.println(region + " killed");
            return 0;
        }
    }

    @Command(name = "revive", description = "Restart a killed region's node on its data (or, with --wipe, empty), and its traffic layer.")
    static final class Revive extends Action {
        @Parameters(paramLabel = "REGION", description = "the killed region to start again")
        String region;

        @Option(names = "--wipe", description = "delete its data first: it rejoins as a new region, by snapshot")
        boolean wipe;

        @Override
        int run(Lab lab) {
            LabState.RegionProcess r = lab.revive(region, Duration.ofSeconds(90), wipe);
            System.out.println(region + " revived at " + r.url() + " (pid " + r.pid() + ")");
            return 0;
        }
    }

    @Command(name = "roll", description = {"Restart every region's node, one after another, on its data: each drains",
            "(refuses new requests with 503, hands over the strong groups it leads, answers those in flight), stops,",
            "starts again and is waited for until ready. Clients of several regions lose no request (docs/lab.md)."})
    static final class Roll extends Action {
        @Option(names = "--settle-ms", description = "pause after each region is ready, before the next (default: ${DEFAULT-VALUE})")
        long settleMs = 3000;

        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        int run(Lab lab) {
            long start = System.nanoTime();
            List<Lab.RollStep> steps = lab.roll(Duration.ofSeconds(90), Duration.ofMillis(settleMs), step -> {
                if (!json) {
                    System.out.printf("%-13s stopped in %5.1f s%s, ready %5.1f s later%n", step.region(), step.stopMillis() / 1000.0,
                            step.forced() ? " (killed: it did not exit in time)" : "", step.readyMillis() / 1000.0);
                }
            });
            long total = (System.nanoTime() - start) / 1_000_000;
            if (json) {
                System.out.println(Lab.toJson(java.util.Map.of("regions", steps, "total_ms", total)));
            } else {
                System.out.printf("rolled %d regions in %.1f s%n", steps.size(), total / 1000.0);
            }
            return 0;
        }
    }

    @Command(name = "partition", description = "Cut the WAN link between two regions, both ways.")
    static final class Partition extends Action {
        @Parameters(index = "0", paramLabel = "A", description = "a region")
        String a;

        @Parameters(index = "1", paramLabel = "B", description = "another region")
        String b;

        @Override
        int run(Lab lab) {
            lab.partition(a, b);
            System.out.println(a + " <-> " + b + " cut");
            return 0;
        }
    }

    @Command(name = "users", description = {"Simulated users of the demo shop in every region (a lab started with --traffic):",
            "each visit resolves through the lab's DNS with its region's subnet, loads a static asset from its region's edge and",
            "pages through the gateway; prints per region the latency users saw, the error rate and who served them."})
    static final class Users extends Action {
        @Option(names = "--rate", defaultValue = "5", description = "visits per second in each region (default ${DEFAULT-VALUE})")
        int rate;

        @Option(names = "--seconds", defaultValue = "30", description = "how long (default ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--json", description = "print the report as JSON only")
        boolean json;

        @Override
        int run(Lab lab) throws InterruptedException {
            if (seconds < 1 || seconds > 3_600) {
                throw new LabException("expected --seconds 1 to 3600, not " + seconds);
            }
            io.meridian.lab.UsersLoad.Report report = lab.users().run(rate, Duration.ofSeconds(seconds),
                    json ? line -> { } : System.out::println);
            if (json) {
                System.out.println(Lab.toJson(report));
                return 0;
            }
            System.out.printf("%n%d visits/s per region for %.1f s; what users saw, per region:%n", rate, report.seconds());
            System.out.printf("%-13s %7s %9s %7s %16s %16s  %s%n", "REGION", "VISITS", "REQUESTS", "ERRORS", "PAGE p50/p99 ms",
                    "STATIC p50/p99", "SERVED BY");
            for (io.meridian.lab.UsersLoad.RegionReport r : report.regions()) {
                System.out.printf("%-13s %7d %9d %6.1f%% %16s %16s  %s%n", r.region(), r.visits(), r.requests(), 100 * r.errorRate(),
                        String.format("%.1f / %.1f", r.pageP50Ms(), r.pageP99Ms()), String.format("%.1f / %.1f", r.staticP50Ms(),
                                r.staticP99Ms()), r.servedBy());
                if (!r.errorKinds().isEmpty()) {
                    System.out.printf("  errors for %d s (seconds %s): %s%n", r.errorWindowSeconds(), r.errorSeconds().keySet(),
                            r.errorKinds());
                }
            }
            return 0;
        }
    }

    @Command(name = "bench", description = "Measure replication lag and bytes per write on the running lab.")
    static final class Bench extends Action {
        @Option(names = "--region", defaultValue = "us-east", description = "where the writes originate (default ${DEFAULT-VALUE})")
        String region;

        @Option(names = "--rates", defaultValue = "100,1000", split = ",", description = "writes per second, one run each (default ${DEFAULT-VALUE})")
        java.util.List<Integer> rates;

        @Option(names = "--seconds", defaultValue = "10", description = "length of each run (default ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--value-bytes", defaultValue = "100", description = "size of each value (default ${DEFAULT-VALUE})")
        int valueBytes;

        @Option(names = "--warmup-seconds", defaultValue = "10", description = "unreported first run at the highest rate (default ${DEFAULT-VALUE})")
        int warmupSeconds;

        @Option(names = "--keyspace", paramLabel = "KEYSPACE", description = "the keyspace written (default: the lab's first"
                + " that every region writes, sessions); a CRDT counter keyspace such as likes is written with increments")
        String keyspace;

        @Spec
        CommandSpec spec;

        @Override
        int run(Lab lab) throws InterruptedException {
            if (rates.isEmpty() || rates.stream().anyMatch(r -> r <= 0) || seconds <= 0 || valueBytes <= 0 || warmupSeconds < 0) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected --rates of writes per second above 0"
                        + " (e.g. 100,1000), --seconds above 0, --value-bytes above 0 and --warmup-seconds 0 or more");
            }
            LabState state = lab.state().orElseThrow(() -> new LabException("no lab is running; `./meridian lab up --detach` first"));
            if (state.region(region).isEmpty()) {
                throw new LabException("region '" + region + "' is not in the lab; regions: "
                        + String.join(", ", state.regions().stream().map(LabState.RegionProcess::name).toList()));
            }
            io.meridian.lab.ReplicationBench.run(lab, region, keyspace, rates, Duration.ofSeconds(seconds),
                    Duration.ofSeconds(warmupSeconds), valueBytes, System.out);
            return 0;
        }
    }

    @Command(name = "bench-crdt", description = "Measure CRDT keyspaces: counter increments per second and latency from one"
            + " region and from all at once, and the metadata of a set and a map after many adds and removes.")
    static final class BenchCrdt extends Action {
        @Option(names = "--seconds", defaultValue = "10", description = "length of each throughput run (default ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--operations", defaultValue = "100000", description = "adds and removes for the metadata measure"
                + " (default ${DEFAULT-VALUE})")
        int operations;

        @Override
        int run(Lab lab) throws Exception {
            io.meridian.lab.CrdtBench.run(lab, Duration.ofSeconds(seconds), operations, System.out);
            return 0;
        }
    }

    @Command(name = "bench-events", description = "Measure the event-log keyspace: appends per second (1 and 10 events)"
            + " in one region, delivery to a subscriber in every other region against the one-way delay, replay speed.")
    static final class BenchEvents extends Action {
        @Option(names = "--region", defaultValue = "us-east", description = "where to append (default ${DEFAULT-VALUE})")
        String region;

        @Option(names = "--seconds", defaultValue = "10", description = "length of each run (default ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--rate", defaultValue = "1000", description = "appends per second of the delivery run (default ${DEFAULT-VALUE})")
        int rate;

        @Override
        int run(Lab lab) throws Exception {
            io.meridian.lab.EventsBench.run(lab, region, Duration.ofSeconds(seconds), rate, System.out);
            return 0;
        }
    }

    @Command(name = "bench-latency", description = "Sequential writes to one keyspace from each region: the latency clients see"
            + " (compare labs started with and without --rpo-budget).")
    static final class BenchLatency extends Action {
        @Option(names = "--keyspace", defaultValue = "profiles", description = "the keyspace written (default ${DEFAULT-VALUE})")
        String keyspace;

        @Option(names = "--writes", defaultValue = "200", description = "writes measured per region (default ${DEFAULT-VALUE})")
        int writes;

        @Override
        int run(Lab lab) {
            if (writes < 1) {
                throw new io.meridian.lab.LabException("--writes must be 1 or more");
            }
            io.meridian.lab.WriteLatencyBench.run(lab, keyspace, writes, System.out);
            return 0;
        }
    }

    @Command(name = "bench-strong", description = "Measure the strong keyspace 'accounts': latency per region against the physical limit, throughput, failover.")
    static final class BenchStrong extends Action {
        @Option(names = "--writes", defaultValue = "200", description = "sequential writes measured per region (default ${DEFAULT-VALUE})")
        int writes;

        @Option(names = "--seconds", defaultValue = "10", description = "length of the throughput run (default ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--failover", description = "also kill the leader's region and time the first new commit (it is revived after)")
        boolean failover;

        @Override
        int run(Lab lab) throws Exception {
            io.meridian.lab.StrongBench.run(lab, writes, Duration.ofSeconds(seconds), failover, System.out);
            return 0;
        }
    }

    @Command(name = "drill", description = "Run a failure drill with a workload in every region against every policy, and report"
            + " RTO, RPO (every acknowledged write accounted for), errors and staleness per policy.")
    static final class DrillCommand extends Action {
        @Parameters(index = "0", paramLabel = "KIND", description = "region-outage, partition or flapping")
        String kind;

        @Option(names = "--region", required = true, description = "the region to fail, or control-leader: whichever region leads"
                + " the control plane when each drill starts")
        String region;

        @Option(names = "--json", description = "print the whole report as JSON only (default: progress and a summary)")
        boolean json;

        @Option(names = "--client-pause-ms", defaultValue = "25", description = "each client's pause between two writes;"
                + " larger is a lighter workload (default ${DEFAULT-VALUE}: about 600 writes/s in all)")
        long pauseMillis;

        @Option(names = "--recovery-timeout", defaultValue = "30", description = "seconds to wait for writes to recover (default ${DEFAULT-VALUE})")
        long recoverySeconds;

        @Option(names = "--users", arity = "0..1", fallbackValue = "5", paramLabel = "RATE", description = "also simulated users of the"
                + " demo shop (a lab started with --traffic), RATE visits/s per region (default 5): the drill reports what they saw")
        Integer usersRate;

        @Option(names = "--repeat", defaultValue = "1", description = "run the drill this many times, one after the other, and"
                + " end with RTO min/median/max per policy (default ${DEFAULT-VALUE}; --json prints a list of reports)")
        int repeat;

        @Spec
        CommandSpec spec;

        @Override
        int run(Lab lab) throws Exception {
            io.meridian.lab.Drill.Kind k = switch (kind) {
                case "region-outage" -> io.meridian.lab.Drill.Kind.REGION_OUTAGE;
                case "partition" -> io.meridian.lab.Drill.Kind.PARTITION;
                case "flapping" -> io.meridian.lab.Drill.Kind.FLAPPING;
                default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "unknown drill '" + kind + "'; expected region-outage, partition or flapping");
            };
            java.io.PrintStream progress = json ? new java.io.PrintStream(java.io.OutputStream.nullOutputStream()) : System.out;
            if (pauseMillis < 0) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--client-pause-ms must be 0 or more");
            }
            if (repeat < 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--repeat must be 1 or more");
            }
            java.util.List<java.util.Map<String, Object>> reports = new java.util.ArrayList<>();
            for (int i = 0; i < repeat; i++) {
                if (repeat > 1) {
                    progress.printf("%n== drill %d of %d ==%n", i + 1, repeat);
                }
                java.util.Map<String, Object> report = new io.meridian.lab.Drill(lab, progress, pauseMillis)
                        .withUsers(usersRate == null ? 0 : usersRate).run(k, region, Duration.ofSeconds(recoverySeconds));
                reports.add(report);
                if (!json) {
                    DrillSummary.print(report, System.out);
                }
            }
            if (json) {
                System.out.println(Lab.toJson(repeat == 1 ? reports.getFirst() : reports));
            } else if (repeat > 1) {
                DrillSummary.printSpread(reports, System.out);
            }
            return 0;
        }
    }

    @Command(name = "heal", description = "Heal the link between two regions, or every link.")
    static final class Heal extends Action {
        @Parameters(arity = "0..2", paramLabel = "REGION", description = "two regions whose link to heal (default: every link)")
        java.util.List<String> regions = new java.util.ArrayList<>();

        @Spec
        CommandSpec spec;

        @Override
        int run(Lab lab) {
            if (regions.size() == 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give two regions, or none to heal every link");
            }
            lab.heal(regions.isEmpty() ? null : regions.get(0), regions.isEmpty() ? null : regions.get(1));
            System.out.println(regions.isEmpty() ? "every link healed" : regions.get(0) + " <-> " + regions.get(1) + " healed");
            return 0;
        }
    }

    @Command(name = "wan-proxy", description = "Relay other systems' TCP traffic with the lab's WAN delays (for measuring peers"
            + " beside the lab, see bench/peers/): each connection is delayed by the one-way delay between its source's region and"
            + " its target's. Runs until stopped.")
    static final class WanProxyCommand implements Callable<Integer> {
        @Option(names = "--host", paramLabel = "REGION=ADDRESS", required = true, description = "the address a region's processes"
                + " connect from and listen on (one per region, e.g. in a network namespace of its own)")
        java.util.Map<String, String> hosts;

        @Option(names = "--forward", paramLabel = "LISTEN=TARGET[@MS]", required = true, description = "listen on host:port and"
                + " relay to host:port; @MS fixes the one-way delay whatever the source")
        java.util.List<String> forwards;

        @Option(names = "--latency-scale", defaultValue = "1.0", description = "multiplies every delay (default ${DEFAULT-VALUE})")
        double scale;

        @Option(names = "--stats", paramLabel = "FILE", description = "write bytes forwarded and connections per forward, as JSON,"
                + " to FILE every second")
        Path stats;

        @Override
        public Integer call() throws Exception {
            java.util.List<io.meridian.lab.WanProxy.Forward> parsed = new java.util.ArrayList<>();
            try {
                for (String f : forwards) {
                    parsed.add(io.meridian.lab.WanProxy.Forward.parse(f));
                }
                if (!(scale >= 0)) {
                    throw new IllegalArgumentException("--latency-scale must be a number >= 0");
                }
            } catch (IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                return 2;
            }
            try (io.meridian.lab.WanProxy proxy = io.meridian.lab.WanProxy.start(new java.util.LinkedHashMap<>(hosts), parsed, scale)) {
                System.out.println("relaying " + parsed.size() + " forwards, latency scale " + scale + "; stop with Ctrl-C");
                while (true) {
                    if (stats != null) {
                        proxy.writeStats(stats);
                    }
                    Thread.sleep(1_000);
                }
            } catch (IllegalArgumentException | java.io.IOException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }
    }
}
