package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CodecTest {
    private static final Entry PUT = new Entry("us-east", 7, new Hlc(1_700_000_000_000L, 3), "sessions", "user:1/é",
            Entry.Op.PUT, "value".getBytes(StandardCharsets.UTF_8), "text/plain", "eu-west",
            new VersionVector(Map.of("us-east", 7L, "eu-west", 2L)));
    private static final Entry DELETE = new Entry("eu-west", 3, new Hlc(1_700_000_000_001L, 0), "sessions", "user:1/é",
            Entry.Op.DELETE, new byte[0], "", "", new VersionVector(Map.of("eu-west", 3L)));

    @Test
    void entriesStatesAndConflictsRoundTrip() {
        assertThat(Codec.decodeEntry(Codec.encode(PUT))).isEqualTo(PUT);
        assertThat(Codec.decodeEntry(Codec.encode(DELETE))).isEqualTo(DELETE);
        Entry retried = new Entry(PUT.origin(), PUT.seq(), PUT.hlc(), PUT.keyspace(), PUT.key(), PUT.op(), PUT.value(),
                PUT.contentType(), PUT.home(), PUT.context(), new io.meridian.core.Idempotency("order-42", -7L, true));
        assertThat(Codec.decodeEntry(Codec.encode(retried))).isEqualTo(retried);
        // Without a key the entry keeps its first format, byte for byte: stored entries of older versions still read.
        assertThat(Codec.encode(PUT)[0]).isEqualTo(Codec.ENTRY_FORMAT);
        assertThat(Codec.encode(retried)[0]).isEqualTo(Codec.ENTRY_FORMAT_IDEMPOTENT);
        // A key's state does not keep the key (the log and the idempotency records do).
        assertThat(KeyState.of(retried).winner()).isEqualTo(PUT);
        KeyState state = KeyState.resolve(List.of(PUT, DELETE), ConflictResolver.LWW);
        assertThat(Codec.decodeState(Codec.encode(state))).isEqualTo(state);
        Conflict conflict = new Conflict("sessions", "user:1/é", DELETE, PUT, Conflict.LWW_RULE, "ap-southeast");
        assertThat(Codec.decodeConflict(Codec.encode(conflict))).isEqualTo(conflict);
    }

    /** Strings that cross every boundary of modified UTF-8: NUL, one, two and three bytes, lone and paired surrogates. */
    private static String text(java.util.Random r) {
        char[] edges = {0, 1, 'a', 0x7F, 0x80, 'é', 0x7FF, 0x800, 0xD83D, 0xDE00, 0xFFFF};
        StringBuilder s = new StringBuilder();
        for (int i = r.nextInt(12); i > 0; i--) {
            s.append(r.nextBoolean() ? edges[r.nextInt(edges.length)] : (char) r.nextInt(0x10000));
        }
        return s.toString();
    }

    @Test
    void entriesAndStatesEncodeByteForByteAsADataOutputStreamWritesThem() throws java.io.IOException {
        long seed = Long.getLong("meridian.codec.seed", System.nanoTime());
        System.out.println("CodecTest seed " + seed + " (replay with -Dmeridian.codec.seed=" + seed + ")");
        java.util.Random r = new java.util.Random(seed);
        for (int round = 0; round < 2_000; round++) {
            List<Entry> siblings = new java.util.ArrayList<>();
            String keyspace = text(r);
            String key = text(r);
            for (int n = 1 + r.nextInt(3); n > 0; n--) {
                String origin = text(r);
                long seq = 1 + (r.nextBoolean() ? r.nextInt(100) : r.nextLong(Long.MAX_VALUE - 1));
                Map<String, Long> context = new java.util.TreeMap<>(Map.of(origin, seq));
                for (int c = r.nextInt(4); c > 0; c--) {
                    context.putIfAbsent(text(r), r.nextLong(Long.MAX_VALUE));
                }
                boolean delete = r.nextInt(4) == 0;
                byte[] value = new byte[delete ? 0 : r.nextInt(300)];
                r.nextBytes(value);
                io.meridian.core.Idempotency idempotency = r.nextBoolean() ? io.meridian.core.Idempotency.NONE
                        : new io.meridian.core.Idempotency("k" + text(r), r.nextLong(), r.nextBoolean());
                siblings.add(new Entry(origin, seq, new Hlc(r.nextLong(Long.MAX_VALUE), r.nextInt(Integer.MAX_VALUE)), keyspace, key,
                        delete ? Entry.Op.DELETE : Entry.Op.PUT, value, text(r), text(r), new VersionVector(context), idempotency));
            }
            for (Entry e : siblings) {
                java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
                Codec.writeEntry(new java.io.DataOutputStream(expected), e);
                assertThat(Codec.encode(e)).as("seed %d, round %d: %s", seed, round, e).isEqualTo(expected.toByteArray());
                assertThat(Codec.decodeEntry(Codec.encode(e))).as("seed %d, round %d", seed, round).isEqualTo(e);
            }
            siblings.sort(KeyState.CANONICAL);
            siblings.removeIf(e -> siblings.stream().anyMatch(o -> o != e && KeyState.CANONICAL.compare(o, e) == 0));
            if (siblings.isEmpty()) {
                continue;
            }
            KeyState state = new KeyState(siblings, r.nextInt(siblings.size()));
            java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
            java.io.DataOutputStream out = new java.io.DataOutputStream(expected);
            out.writeByte(Codec.STATE_FORMAT);
            out.writeShort(state.winnerIndex());
            out.writeShort(state.siblings().size());
            for (Entry e : state.siblings()) {
                Codec.writeEntry(out, e);
            }
            assertThat(Codec.encode(state)).as("seed %d, round %d", seed, round).isEqualTo(expected.toByteArray());
        }
    }

    @Test
    void aStringTooLongForItsTwoByteLengthIsRefusedAsBefore() {
        String key = "é".repeat(40_000); // 80,000 bytes
        Entry e = new Entry("us-east", 1, new Hlc(1, 0), "sessions", key, Entry.Op.PUT, new byte[0], "", "",
                new VersionVector(Map.of("us-east", 1L)));
        assertThatThrownBy(() -> Codec.encode(e)).isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("65535");
    }

    @Test
    void everyMessageRoundTrips() {
        List<Codec.Message> messages = List.of(
                new Codec.Message.Subscribe("eu-west", Map.of("us-east", 0L, "ap-southeast", 9L)),
                new Codec.Message.SnapshotNeeded("us-east"),
                new Codec.Message.SnapshotRequest("eu-west"),
                new Codec.Message.SnapshotChunk(List.of(PUT)),
                new Codec.Message.SnapshotEnd(new VersionVector(Map.of("us-east", 7L)), new Hlc(5, 1), 1));
        for (Codec.Message m : messages) {
            assertThat(Codec.decodeMessage(Codec.encode(m))).as(m.toString()).usingRecursiveComparison().isEqualTo(m);
        }
    }

    @Test
    void batchesAndAcknowledgementsBelongToAStream() {
        assertThatThrownBy(() -> Codec.encode(new Codec.Message.Batch("us-east", 1, VersionVector.EMPTY, List.of())))
                .hasMessageContaining("StreamCodec");
        assertThatThrownBy(() -> Codec.encode(new Codec.Message.Ack("us-east", VersionVector.EMPTY)))
                .hasMessageContaining("StreamCodec");
        byte[] batch = new StreamCodec.Encoder().encode(new Codec.Message.Batch("us-east", 1, VersionVector.EMPTY, List.of()));
        assertThatThrownBy(() -> Codec.decodeMessage(batch)).hasMessageContaining("message type 8 belongs to a stream");
    }

    @Test
    void malformedBytesAreRefusedNamingWhatWasWrong() {
        byte[] entry = Codec.encode(PUT);
        assertThatThrownBy(() -> Codec.decodeEntry(java.util.Arrays.copyOf(entry, entry.length - 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed entry");
        byte[] wrongFormat = entry.clone();
        wrongFormat[0] = 9;
        assertThatThrownBy(() -> Codec.decodeEntry(wrongFormat)).hasMessageContaining("entry format 9");
        assertThatThrownBy(() -> Codec.decodeMessage(new byte[] {42})).hasMessageContaining("message type 42");
        byte[] trailing = java.util.Arrays.copyOf(entry, entry.length + 1);
        assertThatThrownBy(() -> Codec.decodeEntry(trailing)).hasMessageContaining("trailing");
    }

    @Test
    void traceContextsRoundTripAndMalformedOnesAreRefused() {
        Codec.Message.Traces traces = new Codec.Message.Traces(List.of(
                new Codec.Trace("eu-west", 42, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true),
                new Codec.Trace("us-east", 7, "0123456789abcdef0123456789abcdef", "0123456789abcdef", false)));
        byte[] bytes = Codec.encode(traces);
        assertThat(Codec.decodeMessage(bytes)).isEqualTo(traces);
        for (int cut = 1; cut < bytes.length; cut++) {
            byte[] shorter = java.util.Arrays.copyOf(bytes, cut);
            assertThatThrownBy(() -> Codec.decodeMessage(shorter)).as("cut at " + cut).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] huge = Codec.encode(new Codec.Message.Traces(List.of()));
        huge[1] = 0x7f; // a count no sender writes
        assertThatThrownBy(() -> Codec.decodeMessage(huge)).hasMessageContaining("traces");
        assertThatThrownBy(() -> new Codec.Trace("eu-west", 1, "not-hex", "00f067aa0ba902b7", true))
                .hasMessageContaining("not a W3C trace context");
    }
}
