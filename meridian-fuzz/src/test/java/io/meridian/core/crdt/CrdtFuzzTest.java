package io.meridian.core.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.core.replication.Hlc;
import java.util.List;

/**
 * A CRDT keyspace's two inputs: a client's operations (JSON), applied to a state of each type,
 * and states and deltas as stored and replicated (bytes). Operations are refused only with a
 * {@link CrdtException} (a 400); stored bytes only with {@link IllegalArgumentException}. A state
 * that was read or made encodes to bytes that read back to the same encoding.
 */
class CrdtFuzzTest {
    private static final List<CrdtType> TYPES = List.of(new CrdtType.Counter(), new CrdtType.Set(),
            new CrdtType.Register(), new CrdtType.MultiValue(), new CrdtType.Sequence(),
            new CrdtType.Map(new CrdtType.Counter()), new CrdtType.Map(new CrdtType.Register()));

    @FuzzTest
    void crdt(FuzzedDataProvider data) {
        CrdtType type = data.pickValue(TYPES);
        byte[] stored = data.consumeBytes(data.consumeInt(0, 2048));
        String body = data.consumeRemainingAsString();
        CrdtState state = CrdtState.empty(type);
        try {
            state = CrdtCodec.decode(stored);
            roundTrips(state);
            CrdtCodec.join(stored, stored);
        } catch (IllegalArgumentException refused) {
            // not a state this version reads
        }
        JsonNode json = io.meridian.fuzz.FuzzInputs.json(body).orElse(null);
        if (json == null) {
            return;
        }
        try {
            List<CrdtOp> ops = CrdtOp.parse(json);
            CrdtState delta = Crdts.delta(type, CrdtState.empty(type), ops, "us-east", new Hlc(1, 0));
            roundTrips(delta);
            Crdts.value(type, CrdtState.empty(type).join(delta).store());
        } catch (CrdtException refused) {
            // a 400 naming the problem
        }
    }

    private static void roundTrips(CrdtState state) {
        byte[] encoded = CrdtCodec.encode(state);
        assertThat(CrdtCodec.encode(CrdtCodec.decode(encoded))).isEqualTo(encoded);
    }
}
