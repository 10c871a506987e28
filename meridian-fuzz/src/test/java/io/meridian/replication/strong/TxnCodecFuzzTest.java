package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meridian.core.MeridianException;
import java.io.IOException;
import java.util.List;

/**
 * A strong keyspace's Raft log entries and their replies, as read from disk and from the leader.
 * An entry this version cannot read is refused with an {@link IOException} or a
 * {@link MeridianException} (what {@code KeyspaceStateMachine} catches to stop at the entry rather
 * than skip it); what is read encodes to the same transactions.
 */
class TxnCodecFuzzTest {
    @FuzzTest
    void entries(byte[] bytes) {
        try {
            List<TxnCodec.Entry> entries = TxnCodec.isBatch(bytes) ? TxnCodec.decodeBatch(bytes) : List.of(TxnCodec.decode(bytes));
            for (TxnCodec.Entry e : entries) {
                byte[] encoded = TxnCodec.encode(e.txn(), e.requestId().orElse(new java.util.UUID(0, 0)));
                assertThat(TxnCodec.decode(encoded).txn()).isEqualTo(e.txn());
            }
        } catch (IOException | MeridianException refused) {
            // the state machine stops at this entry
        }
        try {
            for (TxnCodec.Reply reply : TxnCodec.decodeReplies(bytes)) {
                assertThat(TxnCodec.decodeReply(TxnCodec.encode(reply))).isEqualTo(reply);
            }
        } catch (IOException refused) {
            // not a reply this version reads
        }
    }
}
