package io.meridian.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a keyspace's change feed in one region ({@code /v1/changes/{keyspace}}: an event log's
 * {@code $all}, or every write of another replicated keyspace) to a Kafka topic, exactly once.
 *
 * <p>Each item becomes a record whose key is its stream (events) or key (writes), whose value is
 * the item's JSON, with headers {@code meridian-position}, {@code meridian-region} and
 * {@code meridian-keyspace}. Records are produced in transactions of consecutive positions
 * (idempotent, transactional producer, {@code acks=all}), so the committed records are always a
 * prefix of the feed. The position is stored in the topic itself: on start the sink reads the
 * last committed records of every partition and resumes after the highest position there, so a
 * restart (or a crash in the middle of a transaction, which Kafka aborts) neither skips nor
 * repeats an item. Positions belong to the region they came from: a topic filled from one region
 * is refused to a sink pointed at another.
 */
public final class KafkaSink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String POSITION = "meridian-position";
    public static final String REGION = "meridian-region";
    public static final String KEYSPACE = "meridian-keyspace";

    /**
     * @param name         names the producer's transactions ({@code meridian-sink-NAME}): one sink per name at a time
     * @param commitEvery  the longest an item waits before its transaction commits
     * @param maxBatch     the most items in one transaction
     */
    public record Settings(NodeConnection region, String keyspace, String topic, String bootstrap, String name, Duration commitEvery,
                           int maxBatch) {
        public Settings(NodeConnection region, String keyspace, String topic, String bootstrap) {
            this(region, keyspace, topic, bootstrap, keyspace + "-to-" + topic, Duration.ofMillis(100), 500);
        }
    }

    private final Settings settings;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong position = new AtomicLong();
    private volatile boolean closed;
    private volatile String failure;
    private volatile MeridianClient feedClient;
    private Thread thread;

    public KafkaSink(Settings settings) {
        this.settings = settings;
    }

    /** Starts publishing on a thread of its own; it goes on (reconnecting to the region, restarting after errors) until closed. */
    public KafkaSink start() {
        thread = Thread.ofPlatform().name("kafka-sink-" + settings.name()).start(this::run);
        return this;
    }

    /** Items published (committed) since start. */
    public long published() {
        return published.get();
    }

    /** The feed position of the last item committed to the topic. */
    public long position() {
        return position.get();
    }

    /** The last error that made the sink start over, if any. */
    public String failure() {
        return failure;
    }

    private void run() {
        while (!closed) {
            try {
                runOnce();
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                failure = e.toString();
                log.warn("kafka sink {} starts over after: {}", settings.name(), e.toString());
                sleep(1_000);
            }
        }
    }

    /** Resumes after what the topic holds, then publishes until closed or an error. */
    private void runOnce() {
        MeridianClient client = settings.region().connect(MeridianClient.DEFAULT_TIMEOUT);
        String region;
        try {
            region = client.getJson("/v1/health").path("region").asText();
        } finally {
            client.close();
        }
        long after = resume(region);
        position.set(after);
        log.info("kafka sink {}: {}/{} in {} to topic {}, after position {}", settings.name(), settings.keyspace(),
                "changes", region, settings.topic(), after);
        BlockingQueue<MeridianClient.FeedEvent> queue = new ArrayBlockingQueue<>(Math.max(1_000, settings.maxBatch() * 4));
        MeridianClient feed = settings.region().connect(Duration.ofSeconds(30));
        feedClient = feed;
        Thread reader = Thread.ofPlatform().name("kafka-sink-feed-" + settings.name()).daemon().start(() -> {
            long cursor = after;
            while (!closed && !Thread.currentThread().isInterrupted()) {
                try {
                    cursor = feed.follow("/v1/changes/" + MeridianClient.encode(settings.keyspace()), cursor,
                            RequestOptions.NONE.consistency("eventual"), e -> {
                                try {
                                    queue.put(e); // a full queue holds the feed back: the region never buffers for us
                                    return !closed;
                                } catch (InterruptedException ie) {
                                    Thread.currentThread().interrupt();
                                    return false;
                                }
                            });
                } catch (MeridianClientException e) {
                    log.info("kafka sink {}: the feed broke ({}); following again", settings.name(), e.getMessage());
                }
                if (!closed) {
                    sleep(500);
                }
            }
        });
        boolean open = false;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties())) {
            producer.initTransactions(); // fences an earlier instance and aborts its open transaction
            try {
                open = publish(producer, queue, region, after);
            } finally {
                if (open && !Thread.currentThread().isInterrupted()) {
                    producer.abortTransaction(); // a clean stop: readers need not wait for the transaction to time out
                }
            }
        } finally {
            feed.close();
            reader.interrupt();
        }
    }

    /** Sends the queued items in transactions until closed. @return true when a transaction is left open */
    private boolean publish(KafkaProducer<byte[], byte[]> producer, BlockingQueue<MeridianClient.FeedEvent> queue, String region,
                            long after) {
        boolean open = false;
        try {
            long openedAt = 0;
            int inTransaction = 0;
            long last = after;
            while (!closed) {
                MeridianClient.FeedEvent e = queue.poll(settings.commitEvery().toMillis(), TimeUnit.MILLISECONDS);
                if (e != null) {
                    if (e.id() <= last) {
                        continue; // sent again after the feed reconnected
                    }
                    if (!open) {
                        producer.beginTransaction();
                        open = true;
                        openedAt = System.nanoTime();
                    }
                    producer.send(record(region, e));
                    last = e.id();
                    inTransaction++;
                }
                boolean due = open && (inTransaction >= settings.maxBatch() || e == null
                        || System.nanoTime() - openedAt >= settings.commitEvery().toNanos());
                if (due) {
                    producer.commitTransaction();
                    published.addAndGet(inTransaction);
                    position.set(last);
                    open = false;
                    inTransaction = 0;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return open;
    }

    private ProducerRecord<byte[], byte[]> record(String region, MeridianClient.FeedEvent e) {
        byte[] value = e.data().getBytes(StandardCharsets.UTF_8);
        String key;
        try {
            JsonNode item = JSON.readTree(value);
            key = item.has("stream") ? item.path("stream").asText() : item.path("key").asText();
        } catch (IOException ex) {
            throw new IllegalStateException("the feed sent an item that is not JSON at position " + e.id(), ex);
        }
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(settings.topic(), key.getBytes(StandardCharsets.UTF_8), value);
        r.headers().add(POSITION, Long.toString(e.id()).getBytes(StandardCharsets.UTF_8));
        r.headers().add(REGION, region.getBytes(StandardCharsets.UTF_8));
        r.headers().add(KEYSPACE, settings.keyspace().getBytes(StandardCharsets.UTF_8));
        return r;
    }

    /**
     * The highest feed position the topic holds (0 for none), read from the last committed records
     * of each partition.
     *
     * @throws IllegalStateException when the topic was filled from another region or keyspace
     */
    long resume(String region) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long highest = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = c.partitionsFor(settings.topic(), Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.assign(partitions);
            Map<TopicPartition, Long> ends = c.endOffsets(partitions);
            Map<TopicPartition, Long> begins = c.beginningOffsets(partitions);
            for (TopicPartition tp : partitions) {
                c.seek(tp, Math.max(begins.get(tp), ends.get(tp) - Math.max(100, settings.maxBatch() * 2L)));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the end of topic " + settings.topic() + " within 30 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    String from = header(r, REGION);
                    String keyspace = header(r, KEYSPACE);
                    if (from != null && !from.equals(region) || keyspace != null && !keyspace.equals(settings.keyspace())) {
                        throw new IllegalStateException("topic " + settings.topic() + " holds the feed of " + keyspace + " in "
                                + from + "; this sink follows " + settings.keyspace() + " in " + region + " (positions belong to"
                                + " one region's feed of one keyspace: use another topic, or point the sink at " + from + ")");
                    }
                    String pos = header(r, POSITION);
                    if (pos != null) {
                        highest = Math.max(highest, Long.parseLong(pos));
                    }
                }
            }
        }
        return highest;
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "meridian-sink-" + settings.name());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops: the open transaction (if any) is not committed, and the next start resumes after the last committed item. */
    @Override
    public void close() {
        closed = true;
        MeridianClient f = feedClient;
        if (f != null) {
            f.close();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
                if (thread.isAlive()) {
                    thread.interrupt();
                    thread.join(10_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
