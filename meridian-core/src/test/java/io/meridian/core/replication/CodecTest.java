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
