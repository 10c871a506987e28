package io.meridian.lab;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How the lab starts a Meridian process: the same Java and class path as the running JVM, so
 * the lab works from the launcher's jar and from a test's class path alike.
 */
public record Launcher(Path javaBin, String classPath, String mainClass, List<String> jvmArgs) {
    public Launcher {
        jvmArgs = List.copyOf(jvmArgs);
    }

    /**
     * Heap and flags for one lab process: small, since three nodes and the WAN share two cores.
     * Metaspace starts at 128 MB: a node uses about 65 MB, and from the default 21 MB each growth
     * of it cost a full collection, the later ones when failover code first ran, i.e. during a
     * failover (0.5-1.2 s pauses under a drill's load, which stalled the control plane's election).
     * The heap stays small: with a 256 MB start the young generation grew to ~70 MB and its
     * collections paused 150-600 ms on the loaded machine, against 10-60 ms now.
     * RocksDB loads its native library (JDK 22+ asks for native access to be granted); the
     * shaded Netty inside gRPC and Ratis uses {@code sun.misc.Unsafe} memory access, which JDK 23+
     * warns about unless allowed (JEP 471), and the flag does not exist before 23.
     * Compiled code is unloaded only by a collection, and once the JIT has allocated 15 % of the
     * code cache (36 MB) since the last one, the JVM asks for one: with the serial collector that is a
     * full collection, 240-520 ms on the loaded machine, a few minutes into a lab under load (one
     * in each node in a peer benchmark's run; a stall of that size made the asynchronous lag's p99 in one).
     * At 60 % the compiled code of a lab's life fits before it; the code cache still asks for a
     * collection when it is nearly full.
     */
    static final List<String> DEFAULT_JVM_ARGS = Runtime.version().feature() >= 23
            ? List.of("-Xms64m", "-Xmx512m", "-XX:MetaspaceSize=128m", "-XX:+UseSerialGC", "-XX:SweeperThreshold=60",
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow")
            : List.of("-Xms64m", "-Xmx512m", "-XX:MetaspaceSize=128m", "-XX:+UseSerialGC", "-XX:SweeperThreshold=60",
                    "--enable-native-access=ALL-UNNAMED");

    /** The environment variable whose JVM options every lab process gets after the defaults (so they win). */
    public static final String JVM_OPTS_ENV = "MERIDIAN_JVM_OPTS";

    public static Launcher current(String mainClass) {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        List<String> args = new ArrayList<>(DEFAULT_JVM_ARGS);
        args.addAll(extraJvmArgs(System.getenv(JVM_OPTS_ENV)));
        return new Launcher(javaBin, classPath, mainClass, args);
    }

    /**
     * The options in {@code MERIDIAN_JVM_OPTS}, split at whitespace (no quoting: a JVM option with a
     * space in it is rare enough); a later option of the same kind overrides the default before it,
     * e.g. {@code -XX:+UseG1GC} or {@code -Xmx2g}. Null or blank: none.
     */
    static List<String> extraJvmArgs(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        List<String> args = Arrays.asList(value.trim().split("\\s+"));
        // The defaults pick the serial collector: a second collector flag would stop the JVM ("multiple
        // garbage collectors selected"), so choosing another one drops the default's.
        if (args.stream().anyMatch(a -> a.matches("-XX:\\+Use\\w+GC") && !a.equals("-XX:+UseSerialGC"))) {
            List<String> merged = new ArrayList<>();
            merged.add("-XX:-UseSerialGC");
            merged.addAll(args);
            return merged;
        }
        return args;
    }

    /**
     * The same launcher with the JIT's first tier only: a lab starts in about 16 s instead of 27 on
     * two cores, and idles at two thirds of the CPU, since nothing waits on the optimising compiler.
     * Peak throughput is lower: for tests, not for benchmarks.
     */
    public Launcher quickStart() {
        List<String> args = new ArrayList<>(jvmArgs);
        args.add("-XX:TieredStopAtLevel=1");
        return new Launcher(javaBin, classPath, mainClass, args);
    }

    List<String> command(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(javaBin.toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(args);
        return command;
    }
}
