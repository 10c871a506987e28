package io.meridian.cli;

import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.lab.Lab;
import io.meridian.lab.LabException;
import io.meridian.lab.LabState;
import io.meridian.lab.Launcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "kv", description = "Read and write keys in a region (of the running lab, or at --url).",
        subcommands = {KvCommand.Put.class, KvCommand.Get.class, KvCommand.Del.class, KvCommand.Scan.class})
final class KvCommand {

    static final class Target {
        @Option(names = "--region", required = true, description = "a region of the running lab")
        String region;

        @Option(names = "--url", required = true, description = "a node's base URL, e.g. http://127.0.0.1:7001")
        String url;
    }

    /** Resolves the target, runs the request and turns a refusal into one line on stderr and exit code 1. */
    abstract static class Action implements Callable<Integer> {
        @ArgGroup(multiplicity = "1")
        Target target;

        @Option(names = "--lab-dir", description = "the lab's state directory (default: as `lab`)")
        Path labDir;

        @Override
        public Integer call() throws Exception {
            try (MeridianClient client = MeridianClient.connect(url())) {
                return run(client);
            } catch (MeridianClientException e) {
                String where = e.region() == null ? "" : ", region " + e.region();
                String status = e.status() == 0 ? "" : ", HTTP " + e.status();
                System.err.println("error: " + e.getMessage() + " (" + e.type().slug() + status + where + ")");
                return 1;
            } catch (LabException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }

        private String url() {
            if (target.url != null) {
                return target.url;
            }
            Lab lab = new Lab(labDir != null ? labDir : LabCommand.defaultDir(), Launcher.current(Main.class.getName()), System.out);
            LabState state = lab.state().orElseThrow(() -> new LabException(
                    "no lab is running from " + lab.root() + "; start one with `./meridian lab up`, or give --url"));
            return state.region(target.region).map(LabState.RegionProcess::url).orElseThrow(() -> new LabException(
                    "region '" + target.region + "' is not in the lab; regions: "
                            + String.join(", ", state.regions().stream().map(LabState.RegionProcess::name).toList())));
        }

        abstract int run(MeridianClient client) throws IOException;
    }

    @Command(name = "put", description = "Write a value (the VALUE argument, or standard input when it is -).")
    static final class Put extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE")
        String keyspace;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Parameters(index = "2", paramLabel = "VALUE")
        String value;

        @Option(names = "--content-type", defaultValue = "text/plain; charset=utf-8")
        String contentType;

        @Override
        int run(MeridianClient client) throws IOException {
            byte[] bytes = value.equals("-") ? System.in.readAllBytes() : value.getBytes(StandardCharsets.UTF_8);
            MeridianClient.Written w = client.put(keyspace, key, bytes, contentType, null, null);
            System.out.println((w.created() ? "created" : "updated") + " " + keyspace + "/" + key + " version " + w.version()
                    + " in " + w.region());
            return 0;
        }
    }

    @Command(name = "get", description = "Print a key's value.")
    static final class Get extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE")
        String keyspace;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(MeridianClient client) throws IOException {
            Optional<MeridianClient.Value> v = client.get(keyspace, key);
            if (v.isEmpty()) {
                System.err.println("error: key '" + key + "' does not exist in keyspace '" + keyspace + "'");
                return 1;
            }
            System.out.write(v.get().bytes());
            System.out.println();
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "del", description = "Delete a key.")
    static final class Del extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE")
        String keyspace;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(MeridianClient client) {
            if (!client.delete(keyspace, key)) {
                System.err.println("error: key '" + key + "' does not exist in keyspace '" + keyspace + "'");
                return 1;
            }
            System.out.println("deleted " + keyspace + "/" + key);
            return 0;
        }
    }

    @Command(name = "scan", description = "List keys, in order, with their values.")
    static final class Scan extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE")
        String keyspace;

        @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX")
        String prefix = "";

        @Option(names = "--limit", defaultValue = "100")
        int limit;

        @Option(names = "--after", description = "start after this key (the `next` of the previous page)")
        String after;

        @Override
        int run(MeridianClient client) {
            MeridianClient.ScanPage page = client.scan(keyspace, prefix, after, limit);
            for (MeridianClient.Value v : page.items()) {
                System.out.println(v.key() + "\t" + v.version() + "\t" + v.text());
            }
            page.next().ifPresent(n -> System.out.println("(more: --after " + n + ")"));
            return 0;
        }
    }
}
