package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class StreamCodecTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");

    @Test
    void aStreamOfRandomMessagesDecodesToWhatWasSent() {
        for (StreamCodec.Compression compression : StreamCodec.Compression.values()) {
            randomStream(compression);
        }
    }

    private static void randomStream(StreamCodec.Compression compression) {
        long seed = Long.getLong("seed", System.nanoTime());
        System.out.println("StreamCodecTest " + compression + " seed " + seed + " (replay with -Dseed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        StreamCodec.Encoder batches = new StreamCodec.Encoder(compression);
        StreamCodec.Decoder batchesIn = new StreamCodec.Decoder();
        StreamCodec.Encoder acks = new StreamCodec.Encoder();
        StreamCodec.Decoder acksIn = new StreamCodec.Decoder();
        Map<String, Long> seqs = new HashMap<>();
        long clock = 1_700_000_000_000L;
        for (int m = 0; m < 2_000; m++) {
            clock += random.nextInt(-5, 200); // a clock may step back
            List<Entry> entries = new ArrayList<>();
            int n = random.nextInt(10) == 0 ? 0 : random.nextInt(1, 20);
            for (int i = 0; i < n; i++) {
                entries.add(randomEntry(random, seqs, clock));
            }
            Map<String, Long> marks = new TreeMap<>();
            REGIONS.forEach(r -> marks.put(r, Math.max(0, seqs.getOrDefault(r, 0L) - random.nextInt(3))));
            if (random.nextInt(20) == 0) {
                marks.clear(); // watermarks that go back, even to nothing: decoded as sent all the same
            }
            Codec.Message batch = new Codec.Message.Batch(REGIONS.get(random.nextInt(3)), clock, new VersionVector(marks), entries);
            assertThat(batchesIn.decode(batches.encode(batch))).as("message %d, seed %d", m, seed).isEqualTo(batch);
            Codec.Message ack = new Codec.Message.Ack("eu-west", new VersionVector(marks));
            assertThat(acksIn.decode(acks.encode(ack))).as("ack %d, seed %d", m, seed).isEqualTo(ack);
        }
    }

    private static Entry randomEntry(SplittableRandom random, Map<String, Long> seqs, long clock) {
        String origin = REGIONS.get(random.nextInt(3));
        long seq = random.nextInt(30) == 0
                ? Math.max(1, seqs.getOrDefault(origin, 1L) - random.nextInt(50)) // a retransmission goes back
                : seqs.merge(origin, (long) random.nextInt(1, 3), Long::sum);
        Map<String, Long> context = new TreeMap<>(Map.of(origin, seq + (random.nextInt(10) == 0 ? 2 : 0)));
        if (random.nextBoolean()) {
            String other = REGIONS.get(random.nextInt(3));
            context.merge(other, (long) random.nextInt(1, 1_000_000), Math::max);
        }
        boolean delete = random.nextInt(8) == 0;
        byte[] value = new byte[delete ? 0 : random.nextInt(300)];
        random.nextBytes(value);
        String contentType = random.nextBoolean() ? "application/json" : "text/plain; charset=" + random.nextInt(5);
        return new Entry(origin, seq, new Hlc(clock - random.nextInt(-10, 1_000), random.nextInt(4)),
                random.nextBoolean() ? "sessions" : "profiles", "user:" + random.nextInt(100) + "/é",
                delete ? Entry.Op.DELETE : Entry.Op.PUT, value, delete ? "" : contentType,
                random.nextBoolean() ? "" : REGIONS.get(random.nextInt(3)), new VersionVector(context),
                random.nextInt(4) == 0 ? new io.meridian.core.Idempotency("retry-" + random.nextLong(), random.nextLong(),
                        random.nextBoolean()) : io.meridian.core.Idempotency.NONE);
    }

    @Test
    void aWriteCostsLittleMoreThanItsKeyAndValueOnceTheStreamIsUnderway() {
        StreamCodec.Encoder encoder = new StreamCodec.Encoder();
        StreamCodec.Decoder decoder = new StreamCodec.Decoder();
        byte[] value = new byte[100];
        int last = 0;
        for (long seq = 1; seq <= 3; seq++) {
            Entry e = new Entry("us-east", seq, new Hlc(1_700_000_000_000L + seq, 0), "sessions", "bench-1000-1234",
                    Entry.Op.PUT, value, "application/json", "", new VersionVector(Map.of("us-east", seq, "eu-west", 40_000L)));
            byte[] bytes = encoder.encode(new Codec.Message.Batch("us-east", 1_700_000_000_002L + seq,
                    new VersionVector(Map.of("us-east", seq, "eu-west", 40_000L)), List.of(e)));
            assertThat(decoder.decode(bytes)).isInstanceOf(Codec.Message.Batch.class);
            last = bytes.length;
        }
        // 115 bytes of key and value and 2 of their lengths; 7 of batch header (type, region, time,
        // one watermark's change, count) and 13 of the entry's (flags, origin, sequence, HLC, keyspace,
        // content type, home, a context of two origins).
        assertThat(last).isLessThanOrEqualTo(117 + 7 + 13);
        byte[] self = Codec.encode(new Entry("us-east", 3, new Hlc(1_700_000_000_003L, 0), "sessions", "bench-1000-1234",
                Entry.Op.PUT, value, "application/json", "", new VersionVector(Map.of("us-east", 3L, "eu-west", 40_000L))));
        assertThat(self.length).isGreaterThan(last + 60);
    }

    @Test
    void deflateCarriesWhatValuesRepeatAcrossTheStreamOnce() {
        StreamCodec.Encoder plain = new StreamCodec.Encoder();
        StreamCodec.Encoder deflating = new StreamCodec.Encoder(StreamCodec.Compression.DEFLATE);
        StreamCodec.Decoder decoder = new StreamCodec.Decoder();
        SplittableRandom random = new SplittableRandom(1);
        long plainBytes = 0;
        long deflatedBytes = 0;
        for (long seq = 1; seq <= 200; seq++) {
            // A JSON document whose field names repeat and whose id does not.
            String json = "{\"id\":\"" + Long.toHexString(random.nextLong()) + "\",\"user\":\"u" + random.nextInt(100_000)
                    + "\",\"items\":[{\"sku\":\"SKU-" + random.nextInt(10_000) + "\",\"qty\":" + random.nextInt(9) + "}]}";
            Entry e = new Entry("us-east", seq, new Hlc(1_700_000_000_000L + seq, 0), "sessions", "cart-" + seq, Entry.Op.PUT,
                    json.getBytes(StandardCharsets.UTF_8), "application/json", "", new VersionVector(Map.of("us-east", seq)));
            Codec.Message batch = new Codec.Message.Batch("us-east", 1_700_000_000_000L + seq,
                    new VersionVector(Map.of("us-east", seq)), List.of(e));
            plainBytes += plain.encode(batch).length;
            byte[] bytes = deflating.encode(batch);
            deflatedBytes += bytes.length;
            assertThat(bytes[0]).isEqualTo(StreamCodec.DEFLATED);
            assertThat(decoder.decode(bytes)).isEqualTo(batch);
        }
        assertThat(deflatedBytes).as("deflated %d of %d", deflatedBytes, plainBytes).isLessThan(plainBytes * 6 / 10);
        // A heartbeat is too small to be worth it, and goes as it is, on the same stream.
        Codec.Message heartbeat = new Codec.Message.Batch("us-east", 1_700_000_000_300L, new VersionVector(Map.of("us-east", 200L)),
                List.of());
        byte[] bytes = deflating.encode(heartbeat);
        assertThat(bytes[0]).isEqualTo(StreamCodec.BATCH);
        assertThat(decoder.decode(bytes)).isEqualTo(heartbeat);
        deflating.close();
        decoder.close();
    }

    @Test
    void deflatedMessagesThatAreNotBatchesOrDoNotInflateAreRefused() {
        assertThatThrownBy(() -> new StreamCodec.Decoder().decode(new byte[] {StreamCodec.DEFLATED, 1, 2, 3, 4, 5}))
                .hasMessageContaining("does not inflate");
        java.util.zip.Deflater d = new java.util.zip.Deflater(1, true);
        d.setInput(new byte[] {StreamCodec.ACK, 1, 0});
        byte[] out = new byte[64];
        int n = d.deflate(out, 1, out.length - 1, java.util.zip.Deflater.SYNC_FLUSH);
        out[0] = StreamCodec.DEFLATED;
        byte[] ack = Arrays.copyOf(out, 1 + n - 4);
        assertThatThrownBy(() -> new StreamCodec.Decoder().decode(ack)).hasMessageContaining("not a batch");
    }

    @Test
    void pastTheBoundOnStringsTheyTravelInFull() {
        StreamCodec.Encoder encoder = new StreamCodec.Encoder();
        StreamCodec.Decoder decoder = new StreamCodec.Decoder();
        for (int i = 1; i <= StreamCodec.MAX_STRINGS + 50; i++) {
            Entry e = new Entry("us-east", i, new Hlc(1, 0), "sessions", "k", Entry.Op.PUT, new byte[1], "type/" + i, "",
                    new VersionVector(Map.of("us-east", (long) i)));
            Codec.Message batch = new Codec.Message.Batch("us-east", 1, new VersionVector(Map.of("us-east", (long) i)), List.of(e));
            assertThat(decoder.decode(encoder.encode(batch))).isEqualTo(batch);
        }
    }

    @Test
    void malformedMessagesAreRefusedNamingWhatWasWrong() {
        Entry e = new Entry("us-east", 1, new Hlc(5, 0), "sessions", "k", Entry.Op.PUT,
                "v".getBytes(StandardCharsets.UTF_8), "text/plain", "", new VersionVector(Map.of("us-east", 1L)));
        byte[] batch = new StreamCodec.Encoder().encode(new Codec.Message.Batch("us-east", 9,
                new VersionVector(Map.of("us-east", 1L)), List.of(e)));
        for (int cut = 1; cut < batch.length; cut++) {
            byte[] shorter = Arrays.copyOf(batch, cut);
            assertThatThrownBy(() -> new StreamCodec.Decoder().decode(shorter)).as("cut at %d", cut)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed replication message");
        }
        byte[] trailing = Arrays.copyOf(batch, batch.length + 1);
        assertThatThrownBy(() -> new StreamCodec.Decoder().decode(trailing)).hasMessageContaining("1 trailing bytes");
        // An id the decoder was never given: a second message decoded by a fresh decoder.
        StreamCodec.Encoder encoder = new StreamCodec.Encoder();
        encoder.encode(new Codec.Message.Ack("eu-west", VersionVector.EMPTY));
        byte[] second = encoder.encode(new Codec.Message.Ack("eu-west", VersionVector.EMPTY));
        assertThatThrownBy(() -> new StreamCodec.Decoder().decode(second)).hasMessageContaining("string id 0 of 0 defined");
        assertThatThrownBy(() -> new StreamCodec.Decoder().decode(new byte[] {42})).hasMessageContaining("message type 42");
    }
}
