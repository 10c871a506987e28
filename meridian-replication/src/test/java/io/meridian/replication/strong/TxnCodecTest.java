package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.ProblemType;
import io.meridian.core.txn.Txn;
import io.meridian.core.txn.TxnEvaluator;
import io.meridian.core.txn.TxnParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Raft log's durable form of transactions and their replies. */
class TxnCodecTest {
    private static final Txn EVERY_KIND = new Txn(
            List.of(new Txn.Compare.Exists("a", true), new Txn.Compare.Version("b", 42), new Txn.Compare.ValueEquals("c", "x"),
                    new Txn.Compare.AtLeast("d", -5), new Txn.Compare.AtMost("e", Long.MAX_VALUE)),
            List.of(new Txn.Op.Put("f", "é".repeat(40_000)), new Txn.Op.Delete("g"), new Txn.Op.Add("h", Long.MIN_VALUE)),
            List.of(new Txn.Op.Put("i", "")));

    private static final java.util.UUID ID = java.util.UUID.fromString("0b5e9c1a-7d7e-4f60-9a1b-3c2d1e0f9a8b");

    @Test
    void everyCompareAndOperationSurvivesTheRoundTripWithItsRequestId() throws IOException {
        byte[] bytes = TxnCodec.encode(EVERY_KIND, ID);
        assertThat(bytes[0]).as("a format byte first").isEqualTo(TxnCodec.FORMAT);
        assertThat(TxnCodec.decode(bytes)).isEqualTo(new TxnCodec.Entry(EVERY_KIND, java.util.Optional.of(ID)));
    }

    @Test
    void entriesOfTheFormatBeforeRequestIdsAreStillRead() throws IOException {
        byte[] current = TxnCodec.encode(EVERY_KIND, ID);
        byte[] older = new byte[current.length - 16];
        older[0] = 2;
        System.arraycopy(current, 17, older, 1, current.length - 17);
        assertThat(TxnCodec.decode(older)).isEqualTo(new TxnCodec.Entry(EVERY_KIND, java.util.Optional.empty()));
    }

    @Test
    void entriesWrittenAsTheApiJsonBeforeThisFormatAreStillRead() throws IOException {
        String json = "{\"if\": [{\"key\": \"alice\", \"at_least\": 30}], \"then\": [{\"add\": {\"key\": \"alice\", \"delta\": -30}}]}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        assertThat(TxnCodec.decode(bytes).txn()).isEqualTo(TxnParser.parse(bytes));
    }

    @Test
    void aFormatThisVersionDoesNotKnowIsAnErrorNamingIt() {
        byte[] future = TxnCodec.encode(EVERY_KIND, ID);
        future[0] = 9;
        assertThatThrownBy(() -> TxnCodec.decode(future)).isInstanceOf(IOException.class).hasMessageContaining("format 9")
                .hasMessageContaining("upgrade");
        byte[] cut = Arrays.copyOf(TxnCodec.encode(EVERY_KIND, ID), 40);
        assertThatThrownBy(() -> TxnCodec.decode(cut)).isInstanceOf(IOException.class);
    }

    @Test
    void repliesAreTypedOutcomesAndRefusals() throws IOException {
        TxnCodec.Reply committed = new TxnCodec.Reply.Committed(true,
                List.of(new TxnEvaluator.Result("a", 7, "1"), new TxnEvaluator.Result("b", 0, null)));
        TxnCodec.Reply failed = new TxnCodec.Reply.Failed(ProblemType.NOT_AN_INTEGER, "'note' holds \"hi\"", Map.of("key", "note"));
        for (TxnCodec.Reply r : List.of(committed, failed, new TxnCodec.Reply.Replayed())) {
            assertThat(TxnCodec.decodeReply(TxnCodec.encode(r))).isEqualTo(r);
        }
    }

    @Test
    void aBatchEntryKeepsItsTransactionsInOrderAndItsReplyAnswersEachOne() throws IOException {
        Txn other = new Txn(List.of(), List.of(new Txn.Op.Put("z", "1")), List.of());
        java.util.UUID second = java.util.UUID.randomUUID();
        byte[] batch = TxnCodec.encodeBatch(List.of(TxnCodec.encode(EVERY_KIND, ID), TxnCodec.encode(other, second)));
        assertThat(TxnCodec.isBatch(batch)).isTrue();
        assertThat(TxnCodec.isBatch(TxnCodec.encode(other, second))).isFalse();
        assertThat(TxnCodec.decodeBatch(batch)).containsExactly(new TxnCodec.Entry(EVERY_KIND, java.util.Optional.of(ID)),
                new TxnCodec.Entry(other, java.util.Optional.of(second)));
        assertThatThrownBy(() -> TxnCodec.decodeBatch(TxnCodec.encodeBatch(List.of(batch))))
                .hasMessageContaining("a batch inside a batch");
        assertThatThrownBy(() -> TxnCodec.decodeBatch(Arrays.copyOf(batch, batch.length - 1)))
                .as("cut short").isInstanceOf(IOException.class).hasMessageContaining("bytes where");

        TxnCodec.Reply ok = new TxnCodec.Reply.Committed(true, List.of(new TxnEvaluator.Result("z", 9, "1")));
        TxnCodec.Reply refused = new TxnCodec.Reply.Failed(ProblemType.NOT_AN_INTEGER, "no", Map.of("key", "h"));
        assertThat(TxnCodec.decodeReplies(TxnCodec.encodeBatchReply(List.of(TxnCodec.encode(refused), TxnCodec.encode(ok)))))
                .containsExactly(refused, ok);
        assertThat(TxnCodec.decodeReplies(TxnCodec.encode(ok))).as("the reply of a lone transaction").containsExactly(ok);
    }
}
