package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.cli.Main;
import io.meridian.lab.Lab;
import io.meridian.lab.LabState;
import io.meridian.lab.LabTopology;
import io.meridian.lab.Launcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documentation does what it says. Every command of every {@code sh} block in README.md and
 * docs/*.md runs, in order, against one lab (real processes, WAN at a fifth of the real delays),
 * and the Java example of docs/client.md is compiled and run against it.
 *
 * <p>The rules a doc follows: a {@code sh} block holds commands to run as written; a line
 * {@code # → TEXT} after a command says its output contains TEXT (several such lines: all of
 * them); a command without one must exit 0 and, for {@code curl}, answer below 400. Syntax with
 * placeholders goes in {@code text} blocks, which are not run. The lab runs as {@code lab up}
 * starts it, with TLS. The harness changes three things: the lab runs on free ports (URLs {@code 127.0.0.1:7001..7003} in commands point to them) at a
 * fifth of the WAN delays, {@code ./meridian} is the jar under test, and {@code deploy/} is the
 * repository's. It skips the commands listed in {@link #SKIPPED}, each with its reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DocsIT {
    private static final double SCALE = 0.2;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    private static final String EXPECT = "# → ";
    /** Command prefixes not run here, and why. */
    private static final Map<String, String> SKIPPED = new LinkedHashMap<>();
    static {
        SKIPPED.put("./meridian test", "it is this test suite");
        SKIPPED.put("./meridian lab up", "the harness starts the lab (on free ports, WAN at a fifth)");
        SKIPPED.put("./meridian lab down", "the harness stops the lab at the end");
        SKIPPED.put("./meridian lab bench", "a benchmark of minutes; its numbers are in docs/benchmarks.md");
        SKIPPED.put("./meridian lab drill", "minutes per drill; FailoverIT runs both drills and checks their reports");
        SKIPPED.put("./meridian lab roll", "45 s here; RollIT rolls a lab the same way (Lab.roll) under load and checks no request failed");
        SKIPPED.put("./meridian node ", "needs a deployment's configuration file; RegionNodeStartTest starts nodes from files");
        SKIPPED.put("apt-get ", "installs benchmark tools");
        SKIPPED.put("bench/", "a benchmark script");
    }
    /** The lab's documented default ports, per region, as doc commands name them. */
    private static final Map<String, String> DOC_PORTS = Map.of("7001", "us-east", "7002", "eu-west", "7003", "ap-southeast");

    @TempDir
    static Path home;
    Lab lab;
    Path repo;
    final Map<String, String> urls = new LinkedHashMap<>();

    @BeforeAll
    void up() throws IOException {
        repo = Path.of("").toAbsolutePath().getParent();
        Path script = home.resolve("meridian");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(script, "#!/usr/bin/env bash\nexec '" + java + "' " + String.join(" ", Launcher.current("x").jvmArgs())
                + " -XX:TieredStopAtLevel=1 -cp '" + System.getProperty("java.class.path") + "' io.meridian.cli.Main \"$@\"\n");
        script.toFile().setExecutable(true);
        Files.createSymbolicLink(home.resolve("deploy"), repo.resolve("deploy")); // docs name deploy/... from the repository's root
        lab = new Lab(home.resolve(".meridian/lab"), Launcher.current(Main.class.getName()).quickStart(), System.out);
        // As `./meridian lab up` runs it: with TLS, tokens required, the CA and curlrc in .meridian/lab.
        LabState state = lab.up(0, new LabTopology.Setup(SCALE, 0, 0).withTls(true), Duration.ofSeconds(120));
        state.regions().forEach(r -> urls.put(r.name(), r.url().replaceFirst("^https?://", "")));
    }

    @AfterAll
    void down() throws Exception {
        if (lab != null) {
            lab.down(true);
        }
        LabLogs.print(home.resolve(".meridian/lab/logs"), 12);
    }

    /** One command of a doc, where it stands, and what its output must contain. */
    record Example(String file, int line, String command, List<String> expected) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + command;
        }
    }

    @Test
    void everyShellExampleOfTheReadmeAndTheDocsDoesWhatItSays() throws Exception {
        List<Path> docs = new ArrayList<>();
        docs.add(repo.resolve("README.md"));
        try (Stream<Path> files = Files.list(repo.resolve("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        List<String> failures = new ArrayList<>();
        int ran = 0;
        for (Path doc : docs) {
            for (Example e : examples(doc)) {
                String skip = SKIPPED.entrySet().stream().filter(s -> e.command().startsWith(s.getKey()))
                        .map(Map.Entry::getValue).findFirst().orElse(null);
                if (skip != null) {
                    System.out.println("skipped " + e + " (" + skip + ")");
                    continue;
                }
                ran++;
                check(e).ifPresent(failures::add);
            }
        }
        System.out.println(ran + " documented commands ran");
        assertThat(ran).as("commands found in the docs").isGreaterThan(10);
        assertThat(failures).as("documented commands that did not do what the docs say").isEmpty();
    }

    @Test
    void everyJavaExampleCompilesAndPrintsWhatItsPageSays() throws Exception {
        int ran = 0;
        for (String doc : List.of("docs/client.md", "README.md")) {
            String page = Files.readString(repo.resolve(doc));
            for (int at = page.indexOf("```java\n"); at >= 0; at = page.indexOf("```java\n", at + 1)) {
                String source = block(page, "```java\n", at);
                String printed = block(page, "It prints:\n\n```text\n", at);
                runExample(doc, source, printed);
                ran++;
            }
        }
        assertThat(ran).as("Java examples in docs/client.md and README.md").isGreaterThanOrEqualTo(3);
    }

    private void runExample(String doc, String source, String printed) throws Exception {
        Matcher name = Pattern.compile("public class (\\w+)").matcher(source);
        assertThat(name.find()).as("the example of " + doc + " declares a public class").isTrue();
        Path dir = Files.createDirectories(home.resolve("example-" + name.group(1)));
        Path file = dir.resolve(name.group(1) + ".java");
        Files.writeString(file, pointAtTheLab(source));
        int compiled = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", dir.toString(),
                "-cp", System.getProperty("java.class.path"), file.toString());
        assertThat(compiled).as("javac of " + name.group(1) + " in " + doc).isZero();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run run = run(List.of(javaBin, "-cp", dir + java.io.File.pathSeparator + System.getProperty("java.class.path"), name.group(1)));
        System.out.println("$ java " + name.group(1) + " (" + doc + ")\n" + run.output().strip());
        assertThat(run.exit()).as(run.output()).isZero();
        for (String line : printed.strip().split("\n")) {
            assertThat(run.output()).as(doc + " says " + name.group(1) + " prints this line").contains(line);
        }
    }

    // ---- reading the docs ----

    /** The commands of a file's {@code sh} blocks, continuation lines joined, with their expectations. */
    static List<Example> examples(Path doc) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        List<Example> out = new ArrayList<>();
        boolean inSh = false;
        StringBuilder command = null;
        int commandLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("```")) {
                inSh = !inSh && (line.equals("```sh") || line.equals("```bash"));
                continue;
            }
            if (!inSh) {
                continue;
            }
            if (line.startsWith(EXPECT) && !out.isEmpty()) {
                out.getLast().expected().add(line.substring(EXPECT.length()).strip());
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (command == null) {
                command = new StringBuilder();
                commandLine = i + 1;
            }
            command.append(line).append('\n');
            if (!continues(command.toString())) {
                out.add(new Example(repo(doc), commandLine, command.toString().strip(), new ArrayList<>()));
                command = null;
            }
        }
        return out;
    }

    private static String repo(Path doc) {
        return doc.getParent().getFileName().toString().equals("docs") ? "docs/" + doc.getFileName() : doc.getFileName().toString();
    }

    /** A command goes on while a line ends in a backslash or a quote is open (comments, after an unquoted #, do not count). */
    private static boolean continues(String text) {
        boolean single = false;
        boolean dbl = false;
        boolean comment = false;
        char previous = '\n';
        for (char c : text.toCharArray()) {
            if (c == '\n') {
                comment = false;
            } else if (!comment) {
                if (c == '\'' && !dbl) {
                    single = !single;
                } else if (c == '"' && !single) {
                    dbl = !dbl;
                } else if (c == '#' && !single && !dbl && Character.isWhitespace(previous)) {
                    comment = true;
                }
            }
            previous = c;
        }
        return single || dbl || text.stripTrailing().endsWith("\\");
    }

    /** The first block opening with {@code opening} at or after {@code from}. */
    private static String block(String page, String opening, int from) {
        int start = page.indexOf(opening, from);
        assertThat(start).as("a block opening with " + opening.strip() + " after position " + from).isNotNegative();
        start += opening.length();
        return page.substring(start, page.indexOf("```", start));
    }

    // ---- running them ----

    private java.util.Optional<String> check(Example e) throws Exception {
        String command = pointAtTheLab(e.command());
        boolean curl = command.startsWith("curl ");
        if (curl) {
            command = "curl -sS -w '\\nHTTP_STATUS=%{http_code}\\n' " + command.substring("curl ".length());
        }
        long started = System.nanoTime();
        Run run = run(List.of("bash", "-c", command));
        String output = run.output();
        System.out.printf("$ %s   [%.1f s]%n%s%n", e, (System.nanoTime() - started) / 1e9, output.strip());
        if (!e.expected().isEmpty()) {
            List<String> missing = e.expected().stream().filter(x -> !output.contains(x)).toList();
            return missing.isEmpty() ? java.util.Optional.empty()
                    : java.util.Optional.of(e + "\n  expected output containing " + missing + "\n  got: " + output.strip());
        }
        if (run.exit() != 0) {
            return java.util.Optional.of(e + "\n  exited " + run.exit() + ": " + output.strip());
        }
        Matcher status = Pattern.compile("HTTP_STATUS=(\\d+)").matcher(output);
        if (curl && status.find() && Integer.parseInt(status.group(1)) >= 400) {
            return java.util.Optional.of(e + "\n  answered HTTP " + status.group(1) + ": " + output.strip());
        }
        return java.util.Optional.empty();
    }

    /** The doc's URLs of the lab's default ports, turned into this lab's. */
    private String pointAtTheLab(String text) {
        String out = text;
        for (Map.Entry<String, String> p : DOC_PORTS.entrySet()) {
            out = out.replace("127.0.0.1:" + p.getKey(), urls.get(p.getValue()));
        }
        return out;
    }

    record Run(int exit, String output) {
    }

    private Run run(List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile(home, "output", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("MERIDIAN_HOME", home.toString());
        Process p = pb.start();
        if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, "timed out after " + COMMAND_TIMEOUT.toSeconds() + " s: " + Files.readString(output));
        }
        return new Run(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
