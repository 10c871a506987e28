package io.meridian.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.lab.LabException;
import io.meridian.lab.LabState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "kv", description = "Read and write keys in a region (of the running lab, or at --url): the whole key-value API,"
        + " with consistency levels, session tokens, conditions and transactions.",
        subcommands = {KvCommand.Put.class, KvCommand.Get.class, KvCommand.Del.class, KvCommand.Scan.class, KvCommand.Txn.class,
                KvCommand.Crdt.class},
        footerHeading = "%nExamples:%n",
        footer = {"  ./meridian kv put --region us-east --session s.txt sessions cart-7 '3 items'",
                "  ./meridian kv get --region ap-southeast --session s.txt sessions cart-7     (read-your-writes)",
                "  ./meridian kv get --region ap-southeast --consistency bounded=500 catalog book-1",
                "  ./meridian kv put --region eu-west --if-match us-east:12 profiles ada 'v2'   (compare-and-set)",
                "  ./meridian kv txn --region us-east accounts '{\"then\":[{\"add\":{\"key\":\"alice\",\"delta\":100}}]}'",
                "  ./meridian kv scan --region us-east catalog book- --limit 10"})
final class KvCommand {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static final class Target {
        @Option(names = "--region", required = true, paramLabel = "REGION", description = "a region of the running lab")
        String region;

        @Option(names = "--url", required = true, paramLabel = "URL", description = "a node's base URL, e.g. http://127.0.0.1:7001")
        String url;
    }

    /** The base URL a target names: --url as given, or the URL of --region in the running lab. */
    static String url(Target target, Path labDir) {
        if (target.url != null) {
            return target.url;
        }
        LabState state = LabCommand.running(labDir);
        return state.region(target.region).map(LabState.RegionProcess::url).orElseThrow(() -> new LabException(
                "region '" + target.region + "' is not in the lab; regions: "
                        + String.join(", ", state.regions().stream().map(LabState.RegionProcess::name).toList())));
    }

    /** Resolves the target, runs the request and turns a refusal into one line on stderr and exit code 1. */
    abstract static class Action implements Callable<Integer> {
        @ArgGroup(multiplicity = "1")
        Target target;

        @Option(names = "--lab-dir", paramLabel = "DIR", description = "the lab's state directory (default: as `lab`)")
        Path labDir;

        @Option(names = "--session", paramLabel = "FILE", description = "a file holding the session token: sent with the"
                + " request (read-your-writes), and updated from the answer (created if missing)")
        Path sessionFile;

        @Option(names = "--json", description = "print the answer as JSON")
        boolean json;

        @picocli.CommandLine.Mixin
        ConnectionOptions tls;

        @Override
        public Integer call() throws Exception {
            javax.net.ssl.SSLContext context;
            try {
                context = tls.context(target.url == null ? LabCommand.lab(labDir) : null);
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
            try (MeridianClient client = MeridianClient.connect(url(), MeridianClient.DEFAULT_TIMEOUT, context, tls.token())) {
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
            return KvCommand.url(target, labDir);
        }

        /** The options every request carries: the session token from the file, if one was given. */
        RequestOptions options() throws IOException {
            RequestOptions o = RequestOptions.NONE;
            if (sessionFile != null && Files.exists(sessionFile)) {
                o = o.session(Files.readString(sessionFile).strip());
            }
            return o;
        }

        /** Keeps the answer's session token for the next call. */
        void keepSession(String token) throws IOException {
            if (sessionFile != null && token != null && !token.isEmpty()) {
                Files.writeString(sessionFile, token + "\n");
            }
        }

        /** A JSON body given inline, as @FILE, or as - for standard input. */
        static String bodyText(String arg) throws IOException {
            return arg.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : arg.startsWith("@") ? Files.readString(Path.of(arg.substring(1))) : arg;
        }

        void printJson(Object value) throws IOException {
            System.out.println(JSON.writeValueAsString(value));
        }

        abstract int run(MeridianClient client) throws IOException;
    }

    /** Options of reads. */
    abstract static class Read extends Action {
        @Option(names = "--consistency", paramLabel = "LEVEL", description = "strong (strong keyspaces; their default),"
                + " bounded=<ms>, session (default elsewhere) or eventual")
        String consistency;

        @Override
        RequestOptions options() throws IOException {
            return consistency == null ? super.options() : super.options().consistency(consistency);
        }
    }

    @Command(name = "put", description = "Write a value (the VALUE argument, or standard input when it is -).")
    static final class Put extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "the keyspace, e.g. sessions")
        String keyspace;

        @Parameters(index = "1", paramLabel = "KEY", description = "the key (any UTF-8 text)")
        String key;

        @Parameters(index = "2", paramLabel = "VALUE", description = "the value, or - to read it from standard input")
        String value;

        @Option(names = "--content-type", paramLabel = "TYPE", defaultValue = "text/plain; charset=utf-8",
                description = "the value's media type, kept and returned on reads (default: ${DEFAULT-VALUE})")
        String contentType;

        @Option(names = "--if-match", paramLabel = "VERSION", description = "write only if the key is at this version (* : if it exists)")
        String ifMatch;

        @Option(names = "--create", description = "write only if the key does not exist yet")
        boolean create;

        @Option(names = "--home", paramLabel = "REGION", description = "home region of a new key of a home-region keyspace")
        String home;

        @Override
        int run(MeridianClient client) throws IOException {
            byte[] bytes = value.equals("-") ? System.in.readAllBytes() : value.getBytes(StandardCharsets.UTF_8);
            RequestOptions o = options();
            if (ifMatch != null) {
                o = o.ifMatch(ifMatch);
            }
            if (create) {
                o = o.createOnly();
            }
            if (home != null) {
                o = o.home(home);
            }
            MeridianClient.Written w = client.put(keyspace, key, bytes, contentType, o);
            keepSession(w.session());
            if (json) {
                printJson(w);
            } else {
                System.out.println((w.created() ? "created" : "updated") + " " + keyspace + "/" + key + " version " + w.version()
                        + " in " + w.region());
            }
            return 0;
        }
    }

    @Command(name = "get", description = "Print a key's value (with --json: its version, region and staleness too).")
    static final class Get extends Read {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "the keyspace")
        String keyspace;

        @Parameters(index = "1", paramLabel = "KEY", description = "the key")
        String key;

        @Override
        int run(MeridianClient client) throws IOException {
            Optional<MeridianClient.Value> v = client.get(keyspace, key, options());
            if (v.isEmpty()) {
                System.err.println("error: key '" + key + "' does not exist in keyspace '" + keyspace + "'");
                return 1;
            }
            keepSession(v.get().session());
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("keyspace", keyspace);
                out.put("key", key);
                out.put("value", v.get().text());
                out.put("content_type", v.get().contentType());
                out.put("version", v.get().version());
                out.put("region", v.get().region());
                out.put("staleness_ms", v.get().stalenessMs());
                printJson(out);
                return 0;
            }
            System.out.write(v.get().bytes());
            System.out.println();
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "del", description = "Delete a key.")
    static final class Del extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "the keyspace")
        String keyspace;

        @Parameters(index = "1", paramLabel = "KEY", description = "the key")
        String key;

        @Option(names = "--if-match", paramLabel = "VERSION", description = "delete only if the key is at this version")
        String ifMatch;

        @Override
        int run(MeridianClient client) throws IOException {
            RequestOptions o = ifMatch == null ? options() : options().ifMatch(ifMatch);
            if (!client.delete(keyspace, key, o)) {
                System.err.println("error: key '" + key + "' does not exist in keyspace '" + keyspace + "'");
                return 1;
            }
            if (json) {
                printJson(Map.of("keyspace", keyspace, "key", key, "deleted", true));
            } else {
                System.out.println("deleted " + keyspace + "/" + key);
            }
            return 0;
        }
    }

    @Command(name = "scan", description = "List keys in byte order, with their versions and values.")
    static final class Scan extends Read {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "the keyspace")
        String keyspace;

        @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX", description = "only keys starting with this (default: all)")
        String prefix = "";

        @Option(names = "--limit", defaultValue = "100", description = "keys per page, 1 to 1000 (default: ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--after", paramLabel = "KEY", description = "start after this key (the `next` of the previous page)")
        String after;

        @Override
        int run(MeridianClient client) throws IOException {
            MeridianClient.ScanPage page = client.scan(keyspace, prefix, after, limit, options());
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("items", page.items().stream().map(v -> Map.of("key", v.key(), "version", v.version(), "value", v.text())).toList());
                out.put("next", page.next().orElse(null));
                printJson(out);
                return 0;
            }
            for (MeridianClient.Value v : page.items()) {
                System.out.println(v.key() + "\t" + v.version() + "\t" + v.text());
            }
            page.next().ifPresent(n -> System.out.println("(more: --after " + n + ")"));
            return 0;
        }
    }

    @Command(name = "txn", description = "Run a transaction on a strong keyspace: compares, then the operations of `then` if all"
            + " hold, else those of `else`, atomically (the body of POST /v1/txn/{keyspace}, see docs/api.md).")
    static final class Txn extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "a strong keyspace, e.g. accounts")
        String keyspace;

        @Parameters(index = "1", paramLabel = "BODY", description = "the transaction as JSON, @FILE to read it from a file,"
                + " or - for standard input")
        String body;

        @Override
        int run(MeridianClient client) throws IOException {
            String text = bodyText(body);
            MeridianClient.TxnOutcome outcome = client.transaction(keyspace, text);
            if (json) {
                printJson(outcome);
                return 0;
            }
            System.out.println((outcome.succeeded() ? "succeeded (then)" : "compares failed (else)") + " in " + outcome.region());
            for (MeridianClient.TxnResult r : outcome.results()) {
                System.out.println("  " + r.key() + " = " + (r.value() == null ? "(deleted)" : r.value()) + "  version " + r.version());
            }
            return 0;
        }
    }

    @Command(name = "crdt", description = "Apply operations to a key of a crdt keyspace and print its new value: increment,"
            + " decrement, add, remove, set, update, remove_field, insert, delete (the body of POST /v1/crdt, see docs/api.md).")
    static final class Crdt extends Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "a crdt keyspace, e.g. likes")
        String keyspace;

        @Parameters(index = "1", paramLabel = "KEY", description = "the key")
        String key;

        @Parameters(index = "2", paramLabel = "OPERATIONS", description = "the operations as JSON, e.g. '{\"increment\": 1}',"
                + " @FILE to read them from a file, or - for standard input")
        String body;

        @Override
        int run(MeridianClient client) throws IOException {
            String text = bodyText(body);
            MeridianClient.CrdtResult r = client.crdt(keyspace, key, text, options());
            keepSession(r.session());
            if (json) {
                printJson(r);
            } else {
                System.out.println(keyspace + "/" + key + " (" + r.type() + ") = " + r.value() + "  version " + r.version()
                        + " in " + r.region());
            }
            return 0;
        }
    }
}
