package io.meridian.core.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An event log's inputs: a client's append (JSON) and appends and stored events as kept on disk
 * and replicated (bytes). Appends are refused only with an {@link EventException} (a 400); stored
 * bytes only with {@link IllegalArgumentException}; what is read encodes to bytes that read back
 * to the same encoding.
 */
class EventsFuzzTest {

    @FuzzTest
    void events(FuzzedDataProvider data) {
        byte[] stored = data.consumeBytes(data.consumeInt(0, 2048));
        String body = data.consumeRemainingAsString();
        try {
            byte[] encoded = EventCodec.encode(EventCodec.decode(stored));
            assertThat(EventCodec.encode(EventCodec.decode(encoded))).isEqualTo(encoded);
        } catch (IllegalArgumentException refused) {
            // not an append this version reads
        }
        try {
            byte[] encoded = EventCodec.encode(EventCodec.decodeStored("s", stored));
            assertThat(EventCodec.encode(EventCodec.decodeStored("s", encoded))).isEqualTo(encoded);
        } catch (IllegalArgumentException refused) {
            // not a stored event this version reads
        }
        JsonNode json = io.meridian.fuzz.FuzzInputs.json(body).orElse(null);
        if (json == null) {
            return;
        }
        try {
            AppendRequest.parse(json, 100);
        } catch (EventException refused) {
            // a 400 naming the problem
        }
    }
}
