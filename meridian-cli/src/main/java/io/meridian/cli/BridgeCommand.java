package io.meridian.cli;

import io.meridian.bridge.KafkaSink;
import io.meridian.bridge.KafkaSource;
import io.meridian.bridge.NodeConnection;
import io.meridian.lab.LabException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bridge", description = "Bridges to Kafka, each a client of one region: publish a keyspace's change feed (an"
        + " event log's $all) to a topic exactly once, or append a topic's records to an event-log keyspace. Runs until Ctrl-C.",
        subcommands = {BridgeCommand.Sink.class, BridgeCommand.Source.class},
        footerHeading = "%nExamples:%n",
        footer = {"  ./meridian bridge kafka-sink --region us-east --keyspace orders --topic orders --bootstrap kafka-1:9092",
                "  ./meridian bridge kafka-source --region us-east --keyspace orders --topic payments --bootstrap kafka-1:9092"})
final class BridgeCommand {
    private BridgeCommand() {
    }

    abstract static class Bridge implements Callable<Integer> {
        @ArgGroup(multiplicity = "1")
        KvCommand.Target target;

        @Option(names = "--lab-dir", paramLabel = "DIR", description = "the lab's state directory (default: as `lab`)")
        Path labDir;

        @Option(names = "--keyspace", required = true, paramLabel = "KEYSPACE", description = "the keyspace")
        String keyspace;

        @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "the Kafka topic")
        String topic;

        @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT[,...]", description = "Kafka's bootstrap servers")
        String bootstrap;

        @picocli.CommandLine.Mixin
        ConnectionOptions connection;

        /** The region's node: its URL, and the certificates and token to reach it with. */
        NodeConnection region() throws java.io.IOException {
            return new NodeConnection(KvCommand.url(target, labDir), connection.context(target.url == null ? LabCommand.lab(labDir) : null),
                    connection.token());
        }

        /** Runs the bridge until the process is asked to stop, printing its progress every few seconds. */
        int runUntilStopped(AutoCloseable bridge, java.util.function.Supplier<String> progress) throws Exception {
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    bridge.close();
                } catch (Exception e) {
                    System.err.println("error: stopping the bridge: " + e);
                }
                stopped.countDown();
            }));
            String last = "";
            while (!stopped.await(5, java.util.concurrent.TimeUnit.SECONDS)) {
                String now = progress.get();
                if (!now.equals(last)) {
                    System.out.println(now);
                    last = now;
                }
            }
            return 0;
        }
    }

    @Command(name = "kafka-sink", description = "Publish a keyspace's change feed in the region (an event log's $all) to a topic:"
            + " key = stream or key, value = the item's JSON, headers meridian-position, meridian-region, meridian-keyspace;"
            + " transactional, resumes after the last position the topic holds.")
    static final class Sink extends Bridge {
        @Option(names = "--name", paramLabel = "NAME", description = "the sink's name, for its Kafka transactions (default:"
                + " KEYSPACE-to-TOPIC); one sink per name at a time")
        String name;

        @Override
        public Integer call() throws Exception {
            try {
                KafkaSink.Settings d = new KafkaSink.Settings(region(), keyspace, topic, bootstrap);
                KafkaSink sink = new KafkaSink(new KafkaSink.Settings(d.region(), keyspace, topic, bootstrap,
                        name == null ? d.name() : name, Duration.ofMillis(100), 500)).start();
                System.out.println("publishing " + keyspace + " from " + d.region() + " to " + topic + " at " + bootstrap);
                return runUntilStopped(sink, () -> "published " + sink.published() + " items, at position " + sink.position()
                        + (sink.failure() == null ? "" : " (last error: " + sink.failure() + ")"));
            } catch (LabException | java.io.IOException | IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "kafka-source", description = "Append a topic's records to an event-log keyspace in the region: stream ="
            + " record key (or --stream), event id from topic/partition/offset (so nothing is appended twice), type = the"
            + " record's 'type' header (or --type), data = its value; offsets committed after the appends.")
    static final class Source extends Bridge {
        @Option(names = "--stream", paramLabel = "STREAM", description = "append every record to this stream (default: its key)")
        String stream;

        @Option(names = "--type", paramLabel = "TYPE", defaultValue = "KafkaRecord", description = "the event type of records"
                + " without a 'type' header (default: ${DEFAULT-VALUE})")
        String type;

        @Option(names = "--group", paramLabel = "GROUP", description = "the consumer group (default: meridian-KEYSPACE-from-TOPIC)")
        String group;

        @Override
        public Integer call() throws Exception {
            try {
                KafkaSource.Settings d = new KafkaSource.Settings(region(), keyspace, topic, bootstrap);
                KafkaSource source = new KafkaSource(new KafkaSource.Settings(d.region(), keyspace, topic, bootstrap,
                        group == null ? d.group() : group, stream, type)).start();
                System.out.println("appending " + topic + " at " + bootstrap + " to " + keyspace + " in " + d.region());
                return runUntilStopped(source, () -> "appended " + source.appended() + " events (" + source.retried()
                        + " were already in)");
            } catch (LabException | java.io.IOException | IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                return 1;
            }
        }
    }
}
