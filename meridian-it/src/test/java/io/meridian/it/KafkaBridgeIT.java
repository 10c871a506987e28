package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meridian.bridge.KafkaSink;
import io.meridian.bridge.KafkaSource;
import io.meridian.bridge.NodeConnection;
import io.meridian.client.MeridianClient;
import io.meridian.client.RequestOptions;
import io.meridian.core.api.EventsView;
import io.meridian.core.config.ConfigLoader;
import io.meridian.lab.Launcher;
import io.meridian.node.RegionNode;
import io.meridian.tls.CertificateAuthority;
import io.meridian.tls.Identity;
import io.meridian.tls.TlsFiles;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka bridge against a real broker: a single-node Kafka in KRaft mode started as a process
 * on 127.0.0.1 from the Kafka artifacts on this class path, and two Meridian regions with TLS and
 * access tokens required. The bridges reach us-east over HTTPS with a token each: the sink's may
 * only read, the source's only write. The sink runs as a `meridian bridge kafka-sink` process and
 * is SIGKILLed in the middle of a stream; the source is appended twice from the topic's start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaBridgeIT {
    @TempDir
    static Path dir;
    Process broker;
    String bootstrap;
    RegionNode node;
    RegionNode peer;
    MeridianClient client;
    String url;
    javax.net.ssl.SSLContext tls;
    String sinkToken;
    String sourceToken;

    @BeforeAll
    void up() throws Exception {
        int[] kafkaPorts = io.meridian.core.config.LoopbackPorts.free(2);
        int kafkaPort = kafkaPorts[0];
        int controllerPort = kafkaPorts[1];
        bootstrap = "127.0.0.1:" + kafkaPort;
        Path data = dir.resolve("kafka");
        Path properties = dir.resolve("server.properties");
        Files.writeString(properties, String.join("\n",
                "process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + kafkaPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + kafkaPort, "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT", "log.dirs=" + data,
                "offsets.topic.replication.factor=1", "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1", "group.initial.rebalance.delay.ms=0", "num.partitions=3", ""));
        int formatted = java(List.of("kafka.tools.StorageTool", "format", "-t", "q1Sh-9_ISia_zwGINzRvyQ", "-c",
                properties.toString()), dir.resolve("format.log")).waitFor();
        assertThat(formatted).as("kafka storage format, see %s", dir.resolve("format.log")).isZero();
        broker = java(List.of("-Xmx512m", "kafka.Kafka", properties.toString()), dir.resolve("kafka.log"));
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            try (Socket s = new Socket("127.0.0.1", kafkaPort)) {
                return true;
            }
        });
        // Two regions over TLS with tokens required (tokens live in the control plane, which needs
        // two); the bridges dial us-east with the CA and a token of the scopes they need, nothing more.
        Path certs = dir.resolve("certs");
        java.time.Instant now = java.time.Instant.now();
        CertificateAuthority ca = CertificateAuthority.create(now, Duration.ofDays(1));
        ca.save(certs);
        for (Identity id : List.of(Identity.region("us-east"), Identity.region("eu-west"), Identity.client("ops"))) {
            CertificateAuthority.save(ca.issue(id, id.kind() == Identity.Kind.REGION ? List.of("127.0.0.1") : List.of(),
                    now.minusSeconds(60), now.plus(Duration.ofDays(1))), certs);
        }
        int[] p = io.meridian.core.config.LoopbackPorts.free(6);
        io.meridian.core.config.MeridianConfig config = ConfigLoader.parse("test.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:%d, replication: 127.0.0.1:%d, consensus: 127.0.0.1:%d}
                  - {name: eu-west, http: 127.0.0.1:%d, replication: 127.0.0.1:%d, consensus: 127.0.0.1:%d}
                keyspaces:
                  - {name: orders, policy: event-log}
                  - {name: sessions, policy: multi-master}
                tls: {dir: certs}
                auth: {tokens: required, admins: [ops]}
                """.formatted(p[0], p[1], p[2], p[3], p[4], p[5])).resolvedAgainst(dir);
        node = RegionNode.create(config, "us-east", dir.resolve("us-east"));
        peer = RegionNode.create(config, "eu-west", dir.resolve("eu-west"));
        Thread starting = Thread.ofPlatform().start(peer::start);
        node.start();
        starting.join();
        url = "https://127.0.0.1:" + node.port();
        tls = TlsFiles.of(certs, Identity.client("ops")).context(id -> id.kind() == Identity.Kind.REGION);
        client = MeridianClient.connect(url, Duration.ofSeconds(15), tls, null);
        sinkToken = token("{\"name\": \"sink\", \"scopes\": [\"read:orders\", \"read:sessions\"]}");
        sourceToken = token("{\"name\": \"source\", \"scopes\": [\"write:orders\"]}");
    }

    /** A token made through the API with the operators' certificate (retried while the control plane elects its leader). */
    private String token(String body) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().sslContext(tls).build();
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/v1/tokens"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("token").asText();
    }

    private NodeConnection as(String token) throws IOException {
        return new NodeConnection(url, TlsFiles.trustOnly(dir.resolve("certs")).context(id -> id.kind() == Identity.Kind.REGION), token);
    }

    @AfterAll
    void down() {
        if (client != null) {
            client.close();
        }
        if (node != null) {
            node.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (broker != null) {
            broker.destroyForcibly();
        }
    }

    /** A JVM on this test's class path (Kafka's broker, or the meridian command line), its output in {@code log}. */
    private static Process java(List<String> args, Path log) throws IOException {
        Launcher l = Launcher.current("unused");
        List<String> command = new ArrayList<>(List.of(l.javaBin().toString(), "-cp", l.classPath()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private Process sinkProcess(String keyspace, String topic, int n) throws IOException {
        return java(List.of("-Xmx256m", "io.meridian.cli.Main", "bridge", "kafka-sink", "--url", url, "--keyspace", keyspace,
                "--topic", topic, "--bootstrap", bootstrap, "--certs", dir.resolve("certs").toString(), "--token", sinkToken),
                dir.resolve("sink-" + n + ".log"));
    }

    /**
     * Creates a topic and waits until each partition has a leader. Producing to a topic the broker
     * creates on first use raced its leader election once (a CI run): the idempotent producer's
     * first batch met NOT_LEADER_OR_FOLLOWER, and its retries OUT_OF_ORDER_SEQUENCE_NUMBER for ever.
     */
    private void createTopic(String topic) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 3, (short) 1))).all().get();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> admin.describeTopics(List.of(topic))
                    .allTopicNames().get().get(topic).partitions().stream().allMatch(part -> part.leader() != null));
        }
    }

    /** Every committed record of a topic, by partition and offset: feed position → record key. */
    private Map<Long, String> topic(String topic, List<Long> duplicates) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Map<Long, String> seen = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    long position = Long.parseLong(new String(r.headers().lastHeader(KafkaSink.POSITION).value(), StandardCharsets.UTF_8));
                    if (seen.put(position, new String(r.key(), StandardCharsets.UTF_8)) != null) {
                        duplicates.add(position);
                    }
                }
            }
        }
        return seen;
    }

    @Test
    void theSinkPublishesEveryEventOnceAcrossASigkillInTheMiddleOfTheStream() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger appended = new AtomicInteger();
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 400 && !stop.get(); i++) {
                client.append("orders", "s-" + (i % 4), -1, new MeridianClient.NewEvent("Tick", "{\"i\": " + i + "}"));
                appended.incrementAndGet();
                if (i % 10 == 0) {
                    sleep(20);
                }
            }
        });
        Process first = sinkProcess("orders", "orders-out", 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> topic("orders-out", new ArrayList<>()).size() >= 50);
        first.destroyForcibly().waitFor(); // SIGKILL, most likely with a transaction open
        Process second = sinkProcess("orders", "orders-out", 2);
        try {
            writer.join(120_000);
            long last = client.readAll("orders", 1, 1, RequestOptions.NONE).lastPosition();
            assertThat(last).isGreaterThanOrEqualTo(appended.get());
            List<Long> duplicates = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> topic("orders-out", new ArrayList<>()).size() == last);
            Map<Long, String> records = topic("orders-out", duplicates);
            assertThat(duplicates).as("no position published twice").isEmpty();
            assertThat(records.keySet()).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, last).boxed().toList());
            for (long from = 1; from <= last; from += 1_000) {
                client.readAll("orders", from, 1_000, RequestOptions.NONE).events()
                        .forEach(e -> assertThat(records.get(e.position())).isEqualTo(e.stream()));
            }
            System.out.printf("kafka: %d events published once across a SIGKILL of the sink%n", last);
        } finally {
            stop.set(true);
            second.destroy();
            second.waitFor();
        }
    }

    @Test
    void theSinkAlsoPublishesTheChangeFeedOfAKeyValueKeyspace() throws Exception {
        for (int i = 0; i < 20; i++) {
            client.put("sessions", "cart-" + i, "{\"items\": " + i + "}");
        }
        try (KafkaSink sink = new KafkaSink(new KafkaSink.Settings(as(sinkToken), "sessions", "sessions-out", bootstrap)).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> sink.published() == 20);
        }
        Map<Long, String> records = topic("sessions-out", new ArrayList<>());
        assertThat(records.values()).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.range(0, 20).mapToObj(i -> "cart-" + i).toList());
    }

    @Test
    void theSourceAppendsEachRecordOnceEvenWhenTheTopicIsReadAgain() throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        createTopic("payments");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < 200; i++) {
                ProducerRecord<String, String> r = new ProducerRecord<>("payments", "p-" + (i % 5), "{\"amount\": " + i + "}");
                r.headers().add("type", "PaymentMade".getBytes(StandardCharsets.UTF_8));
                producer.send(r);
            }
            producer.send(new ProducerRecord<>("payments", "p-0", "not json")).get();
        }
        try (KafkaSource source = new KafkaSource(new KafkaSource.Settings(as(sourceToken), "orders", "payments", bootstrap)).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> source.appended() == 201);
        }
        // Read again from the start (a new consumer group): every append is a retry, nothing is appended twice.
        try (KafkaSource again = new KafkaSource(new KafkaSource.Settings(as(sourceToken), "orders", "payments", bootstrap, "second-reading",
                null, "KafkaRecord")).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> again.retried() == 201);
            assertThat(again.appended()).isZero();
        }
        long total = 0;
        for (int k = 0; k < 5; k++) {
            EventsView.StreamPage s = client.readStream("orders", "p-" + k, 1, 1_000, true, RequestOptions.NONE);
            total += s.events().size();
            assertThat(s.events()).allSatisfy(e -> assertThat(e.type()).isEqualTo(e.data().isTextual() ? "KafkaRecord" : "PaymentMade"));
        }
        assertThat(total).isEqualTo(201);
        assertThat(client.readStream("orders", "p-0", 0, 1, false, RequestOptions.NONE).events().getFirst().data().asText())
                .isEqualTo("not json");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
