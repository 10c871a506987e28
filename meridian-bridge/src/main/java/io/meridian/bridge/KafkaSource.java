package io.meridian.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.core.ProblemType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends a Kafka topic's records to an event-log keyspace, each exactly once.
 *
 * <p>A record becomes an event of the stream named by its key (or by {@code stream} when set; a
 * record without a key goes to the stream named after the topic): its id is derived from the
 * record's topic, partition and offset (a name-based UUID), its type is the record's {@code type}
 * header (or {@code defaultType}), its data the record's value (JSON as it is; other bytes as a
 * JSON string), its metadata where it came from. Consecutive records of one stream go in one
 * append. Offsets are committed only after every append of a poll succeeded: after a crash the
 * records since the last commit are appended again, and the event ids make those appends retries
 * (nothing twice). Only committed records are read ({@code read_committed}).
 */
public final class KafkaSource implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaSource.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Events per append at most (the API's limit is 1,000). */
    private static final int BATCH = 100;

    /** @param stream the stream every record goes to, or null for the record's key */
    public record Settings(NodeConnection region, String keyspace, String topic, String bootstrap, String group, String stream,
                           String defaultType) {
        public Settings(NodeConnection region, String keyspace, String topic, String bootstrap) {
            this(region, keyspace, topic, bootstrap, "meridian-" + keyspace + "-from-" + topic, null, "KafkaRecord");
        }
    }

    private final Settings settings;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private volatile boolean closed;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;

    public KafkaSource(Settings settings) {
        this.settings = settings;
    }

    public KafkaSource start() {
        thread = Thread.ofPlatform().name("kafka-source-" + settings.group()).start(this::run);
        return this;
    }

    /** Events appended since start (retries that appended nothing not counted). */
    public long appended() {
        return appended.get();
    }

    /** Events whose append was a retry of one already made (after a restart or a failed attempt). */
    public long retried() {
        return retried.get();
    }

    private void run() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (MeridianClient client = settings.region().connect(Duration.ofSeconds(30));
             KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            consumer = c;
            c.subscribe(List.of(settings.topic()));
            log.info("kafka source: topic {} into {} at {}, group {}", settings.topic(), settings.keyspace(), settings.region(),
                    settings.group());
            while (!closed) {
                ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                appendAll(client, records);
                c.commitSync(); // only once every record of the poll is in the keyspace
            }
        } catch (WakeupException e) {
            // closed
        } catch (RuntimeException e) {
            if (!closed) {
                log.error("kafka source of {} stopped: {}", settings.topic(), e.toString(), e);
            }
        }
    }

    /** Appends a poll's records, consecutive ones of a stream together; retries until each append is in. */
    private void appendAll(MeridianClient client, ConsumerRecords<byte[], byte[]> records) {
        List<Map.Entry<String, List<ObjectNode>>> batches = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String stream = settings.stream() != null ? settings.stream()
                    : r.key() == null || r.key().length == 0 ? settings.topic() : new String(r.key(), StandardCharsets.UTF_8);
            if (batches.isEmpty() || !batches.getLast().getKey().equals(stream) || batches.getLast().getValue().size() >= BATCH) {
                batches.add(Map.entry(stream, new ArrayList<>()));
            }
            batches.getLast().getValue().add(event(r));
        }
        for (Map.Entry<String, List<ObjectNode>> b : batches) {
            appendWithRetry(client, b.getKey(), b.getValue());
        }
    }

    private void appendWithRetry(MeridianClient client, String stream, List<ObjectNode> events) {
        long pause = 200;
        while (!closed) {
            try {
                append(client, stream, events);
                return;
            } catch (MeridianClientException e) {
                if (e.type() == ProblemType.DUPLICATE_EVENT) {
                    // Part of this batch went in before (in another grouping): append the events one by one, each a retry or new.
                    for (ObjectNode one : events) {
                        appendWithRetry(client, stream, List.of(one));
                    }
                    return;
                }
                log.warn("kafka source: appending {} events to {} failed ({}); trying again", events.size(), stream, e.getMessage());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new WakeupException();
                }
                pause = Math.min(5_000, pause * 2);
            }
        }
        throw new WakeupException();
    }

    private void append(MeridianClient client, String stream, List<ObjectNode> events) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("events");
        events.forEach(list::add);
        MeridianClient.Appended a = client.append(settings.keyspace(), stream, body.toString(), RequestOptions.NONE);
        (a.alreadyAppended() ? retried : appended).addAndGet(events.size());
    }

    private ObjectNode event(ConsumerRecord<byte[], byte[]> r) {
        ObjectNode e = JSON.createObjectNode();
        e.put("id", UUID.nameUUIDFromBytes((r.topic() + "/" + r.partition() + "/" + r.offset()).getBytes(StandardCharsets.UTF_8))
                .toString());
        Header type = r.headers().lastHeader("type");
        e.put("type", type == null ? settings.defaultType() : new String(type.value(), StandardCharsets.UTF_8));
        e.set("data", data(r.value()));
        ObjectNode meta = e.putObject("metadata").putObject("kafka");
        meta.put("topic", r.topic()).put("partition", r.partition()).put("offset", r.offset()).put("timestamp", r.timestamp());
        return e;
    }

    private static JsonNode data(byte[] value) {
        if (value == null) {
            return JSON.nullNode();
        }
        if (value.length == 0) {
            return JSON.getNodeFactory().textNode("");
        }
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(new String(value, StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() {
        closed = true;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
