package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.client.MeridianClient;
import io.meridian.core.api.ApiJson;
import io.meridian.core.api.EventsView;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "events", description = "Append to, read and follow the streams of an event-log keyspace in a region (of the"
        + " running lab, or at --url).",
        subcommands = {EventsCommand.Append.class, EventsCommand.Read.class, EventsCommand.Subscribe.class, EventsCommand.State.class},
        footerHeading = "%nExamples:%n",
        footer = {"  ./meridian events append --region us-east orders o-17 OrderPlaced '{\"total\": 30}' --expected-version 0",
                "  ./meridian events read --region eu-west orders o-17",
                "  ./meridian events read --region eu-west orders '$all' --from 1",
                "  ./meridian events subscribe --region ap-southeast orders o-17 --count 2",
                "  ./meridian events state --region us-east orders o-17 --projection order-status --at-version 1"})
final class EventsCommand {
    private EventsCommand() {
    }

    private static String line(EventsView.EventView e) {
        return String.format("%s@%d  %-16s %s  (%s, %s, position %d)", e.stream(), e.version(), e.type(), e.data(), e.origin(),
                e.time(), e.position());
    }

    @Command(name = "append", description = "Append one event (TYPE and its DATA as JSON) to a stream, or a whole request"
            + " body with --body; prints the versions the events got.")
    static final class Append extends KvCommand.Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "an event-log keyspace, e.g. orders")
        String keyspace;

        @Parameters(index = "1", paramLabel = "STREAM", description = "the stream (any UTF-8 text not starting with $)")
        String stream;

        @Parameters(index = "2", arity = "0..1", paramLabel = "TYPE", description = "the event's type, e.g. OrderPlaced")
        String type;

        @Parameters(index = "3", arity = "0..1", paramLabel = "DATA", description = "the event's data as JSON (default: {})")
        String data;

        @Option(names = "--expected-version", paramLabel = "N", defaultValue = "-1", description = "append only if the"
                + " stream's last version is N (0: only to a new stream; -1, the default: any)")
        long expected;

        @Option(names = "--body", paramLabel = "BODY", description = "the whole request as JSON ({\"expected_version\", \"events\"}),"
                + " @FILE, or - for standard input; instead of TYPE and DATA")
        String body;

        @Override
        int run(MeridianClient client) throws IOException {
            String request;
            if (body != null) {
                request = bodyText(body);
            } else if (type != null) {
                JsonNode parsed;
                try {
                    parsed = ApiJson.MAPPER.readTree(data == null ? "{}" : data);
                } catch (IOException e) {
                    System.err.println("error: DATA is not JSON: " + e.getMessage());
                    return 2;
                }
                var r = ApiJson.MAPPER.createObjectNode().put("expected_version", expected);
                r.putArray("events").addObject().put("id", java.util.UUID.randomUUID().toString()).put("type", type).set("data", parsed);
                request = r.toString();
            } else {
                System.err.println("error: give TYPE (and DATA), or --body");
                return 2;
            }
            MeridianClient.Appended a = client.append(keyspace, stream, request, options());
            keepSession(a.session());
            if (json) {
                printJson(a);
            } else {
                String versions = a.firstVersion() == a.lastVersion() ? "version " + a.firstVersion()
                        : "versions " + a.firstVersion() + "-" + a.lastVersion();
                System.out.println(keyspace + "/" + stream + " " + versions + (a.alreadyAppended() ? " (already appended)" : "")
                        + "  home " + a.home() + ", appended in " + a.region());
            }
            return 0;
        }
    }

    @Command(name = "read", description = "Print a page of a stream, or of the keyspace's $all in the region.")
    static final class Read extends KvCommand.Read {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "an event-log keyspace")
        String keyspace;

        @Parameters(index = "1", paramLabel = "STREAM", description = "the stream, or $all (quote it in a shell)")
        String stream;

        @Option(names = "--from", paramLabel = "N", defaultValue = "0", description = "the first version (or $all position)"
                + " to read (default: the start, or the end with --backward)")
        long from;

        @Option(names = "--limit", defaultValue = "100", description = "events per page, 1 to 1000 (default: ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--backward", description = "read from the newest event down")
        boolean backward;

        @Override
        int run(MeridianClient client) throws IOException {
            if (stream.equals("$all")) {
                EventsView.AllPage page = client.readAll(keyspace, from, limit, options());
                if (json) {
                    printJson(page);
                } else {
                    System.out.println(keyspace + "/$all in " + page.region() + ": " + page.events().size() + " events, last"
                            + " position " + page.lastPosition() + (page.next() == null ? "" : ", more from " + page.next()));
                    page.events().forEach(e -> System.out.println("  " + e.position() + "  " + line(e)));
                }
                return 0;
            }
            EventsView.StreamPage page = client.readStream(keyspace, stream, from, limit, !backward, options());
            if (json) {
                printJson(page);
            } else {
                System.out.println(keyspace + "/" + stream + " in " + page.region() + ": last version " + page.lastVersion()
                        + ", home " + page.home() + (page.next() == null ? "" : ", more from " + page.next()));
                page.events().forEach(e -> System.out.println("  " + line(e)));
            }
            return 0;
        }
    }

    @Command(name = "subscribe", description = "Print a stream's (or $all's) events as they come: those after --from first,"
            + " then each new one, until --count events or Ctrl-C.")
    static final class Subscribe extends KvCommand.Action {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "an event-log keyspace")
        String keyspace;

        @Parameters(index = "1", paramLabel = "STREAM", description = "the stream, or $all")
        String stream;

        @Option(names = "--from", paramLabel = "N", defaultValue = "1", description = "the first version (or $all position)"
                + " to print (default: ${DEFAULT-VALUE})")
        long from;

        @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "stop after N events (default: never)")
        int count;

        @Override
        int run(MeridianClient client) throws IOException {
            AtomicInteger seen = new AtomicInteger();
            client.subscribe(keyspace, stream, Math.max(0, from - 1), options(), e -> {
                try {
                    if (json) {
                        System.out.println(ApiJson.MAPPER.writeValueAsString(e));
                    } else {
                        System.out.println(line(e));
                    }
                } catch (IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
                System.out.flush();
                return count == 0 || seen.incrementAndGet() < count;
            });
            return 0;
        }
    }

    @Command(name = "state", description = "A stream's state in a projection as of a version or a time, computed by replay.")
    static final class State extends KvCommand.Read {
        @Parameters(index = "0", paramLabel = "KEYSPACE", description = "an event-log keyspace")
        String keyspace;

        @Parameters(index = "1", paramLabel = "STREAM", description = "the stream")
        String stream;

        @Option(names = "--projection", required = true, paramLabel = "NAME", description = "the projection, e.g. order-status")
        String projection;

        @Option(names = "--at-version", paramLabel = "N", defaultValue = "0", description = "as of this version of the stream")
        long version;

        @Option(names = "--at", paramLabel = "TIME", description = "as of this instant (ISO-8601, e.g. 2026-11-30T12:00:00Z)")
        String at;

        @Override
        int run(MeridianClient client) throws IOException {
            if ((version > 0) == (at != null)) {
                System.err.println("error: give exactly one of --at-version and --at");
                return 2;
            }
            java.time.Instant when;
            try {
                when = at == null ? null : java.time.Instant.parse(at);
            } catch (java.time.format.DateTimeParseException e) {
                System.err.println("error: --at '" + at + "' is not an ISO-8601 instant such as 2026-11-30T12:00:00Z");
                return 2;
            }
            io.meridian.core.api.ProjectionView.AsOf s = client.asOf(keyspace, stream, projection, version, when, options());
            if (json) {
                printJson(s);
            } else {
                System.out.println(keyspace + "/" + stream + " in " + projection + " as of version " + s.version() + " ("
                        + s.time() + "): " + s.state() + "  [" + s.replayedEvents() + " events replayed"
                        + (s.fromSnapshot() == null ? "" : " from the snapshot at version " + s.fromSnapshot()) + "]");
            }
            return 0;
        }
    }
}
