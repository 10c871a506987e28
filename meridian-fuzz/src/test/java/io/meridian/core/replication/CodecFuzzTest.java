package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The self-contained replication records: log entries and keys' states on disk, conflict
 * records, version vectors, and the stream messages other than batches and acknowledgements.
 * Each decoder either returns a record or throws {@link IllegalArgumentException} (what its
 * callers catch); a record it returns encodes to bytes that decode to an equal record.
 */
class CodecFuzzTest {
    @FuzzTest
    void decoders(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] bytes = Arrays.copyOfRange(input, 1, input.length);
        switch (Math.floorMod(input[0], 5)) {
            case 0 -> roundTrip(bytes, Codec::decodeEntry, Codec::encode);
            case 1 -> roundTrip(bytes, Codec::decodeState, Codec::encode);
            case 2 -> roundTrip(bytes, Codec::decodeConflict, Codec::encode);
            case 3 -> roundTrip(bytes, Codec::decodeVector, Codec::encode);
            default -> roundTrip(bytes, Codec::decodeMessage, Codec::encode);
        }
    }

    /** Decodes, then checks that what was decoded survives its own encoding unchanged. */
    static <T> void roundTrip(byte[] bytes, Function<byte[], T> decode, Function<T, byte[]> encode) {
        T first;
        try {
            first = decode.apply(bytes);
        } catch (IllegalArgumentException refused) {
            return;
        }
        byte[] encoded = encode.apply(first);
        assertThat(decode.apply(encoded)).as("decoding %s encoded", first).isEqualTo(first);
        assertThat(encode.apply(decode.apply(encoded))).as("re-encoding %s", first).isEqualTo(encoded);
    }
}
