package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * One direction of a replication stream, as a receiver reads it: a sequence of messages through
 * one {@link StreamCodec.Decoder}, whose state (strings defined, last sequences and watermarks,
 * the inflater) carries from one message to the next. A malformed message throws
 * {@link IllegalArgumentException} (the stream is then dropped, as {@code Sender} and
 * {@code PeerStreams} do); nothing else may escape. The messages read before it, sent again
 * through a fresh encoder (deflating or not) to a fresh decoder, arrive unchanged.
 */
class StreamCodecFuzzTest {
    @FuzzTest
    void stream(FuzzedDataProvider data) {
        boolean deflate = data.consumeBoolean();
        List<Codec.Message> read = new ArrayList<>();
        try (StreamCodec.Decoder decoder = new StreamCodec.Decoder()) {
            while (data.remainingBytes() > 0) {
                byte[] message = data.consumeBytes(data.consumeInt(0, 1024));
                try {
                    read.add(decoder.decode(message));
                } catch (IllegalArgumentException refused) {
                    break;
                }
            }
        }
        try (StreamCodec.Encoder encoder = new StreamCodec.Encoder(
                deflate ? StreamCodec.Compression.DEFLATE : StreamCodec.Compression.NONE);
                StreamCodec.Decoder decoder = new StreamCodec.Decoder()) {
            for (Codec.Message m : read) {
                assertThat(decoder.decode(encoder.encode(m))).usingRecursiveComparison().isEqualTo(m);
            }
        }
    }
}
