package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.txn.Txn;
import io.meridian.core.txn.TxnEvaluator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How concurrent strong writes share log entries, against a log that answers only when the test
 * lets it: no Raft, so what goes into which entry is exact.
 */
class ProposalsTest {
    /** Entries as sent, each answered when the test releases it: every transaction committed, its key at the entry's index. */
    private final LinkedBlockingQueue<CompletableFuture<Void>> gates = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<List<TxnCodec.Entry>> sent = new ConcurrentLinkedQueue<>();
    private long index;

    private Proposals proposals(int maxInFlight, int maxPerEntry, long maxBytes) {
        return new Proposals(entry -> {
            List<TxnCodec.Entry> txns = transactions(entry);
            CompletableFuture<Void> gate = new CompletableFuture<>();
            long at;
            synchronized (this) {
                at = ++index;
                sent.add(txns);
                gates.add(gate);
            }
            return gate.thenApply(released -> {
                List<byte[]> replies = new ArrayList<>();
                for (TxnCodec.Entry t : txns) {
                    String key = t.txn().then().getFirst().key();
                    replies.add(TxnCodec.encode(new TxnCodec.Reply.Committed(true, List.of(new TxnEvaluator.Result(key, at, "v")))));
                }
                return new Proposals.Sent(txns.size() == 1 && !TxnCodec.isBatch(entry) ? replies.getFirst()
                        : TxnCodec.encodeBatchReply(replies), at);
            });
        }, maxInFlight, maxPerEntry, maxBytes);
    }

    private static List<TxnCodec.Entry> transactions(byte[] entry) {
        try {
            return TxnCodec.isBatch(entry) ? TxnCodec.decodeBatch(entry) : List.of(TxnCodec.decode(entry));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Txn put(String key) {
        return new Txn(List.of(), List.of(new Txn.Op.Put(key, "v")), List.of());
    }

    private void release() throws InterruptedException {
        CompletableFuture<Void> gate = gates.poll(10, TimeUnit.SECONDS);
        assertThat(gate).as("an entry was sent").isNotNull();
        gate.complete(null);
    }

    private static long versionOf(CompletableFuture<Proposals.Outcome> f) throws Exception {
        Proposals.Outcome o = f.get(10, TimeUnit.SECONDS);
        return ((TxnCodec.Reply.Committed) o.reply()).results().getFirst().version();
    }

    @Test
    void aLoneWriteGoesAtOnceAloneAndWritesArrivingMeanwhileShareTheNextEntry() throws Exception {
        Proposals p = proposals(1, 256, 1 << 20);
        CompletableFuture<Proposals.Outcome> first = p.propose(put("a"), UUID.randomUUID());
        List<CompletableFuture<Proposals.Outcome>> waiting = new ArrayList<>();
        for (String k : List.of("b", "c", "d")) {
            waiting.add(p.propose(put(k), UUID.randomUUID()));
        }
        release();
        assertThat(versionOf(first)).isEqualTo(1);
        release();
        for (CompletableFuture<Proposals.Outcome> w : waiting) {
            assertThat(versionOf(w)).as("one entry for the three").isEqualTo(2);
        }
        assertThat(sent).extracting(List::size).containsExactly(1, 3);
        assertThat(p.counts()).containsExactly(2, 4);
    }

    @Test
    void anEntryStopsAtItsLimitsOfTransactionsAndBytes() throws Exception {
        Proposals p = proposals(1, 2, 1 << 20);
        p.propose(put("x"), UUID.randomUUID());
        // Queued while the first entry is out: b, a, a (same key as the one before), c, d.
        List<CompletableFuture<Proposals.Outcome>> f = new ArrayList<>();
        for (String k : List.of("b", "a", "a", "c", "d")) {
            f.add(p.propose(put(k), UUID.randomUUID()));
        }
        for (int i = 0; i < 4; i++) {
            release();
        }
        for (CompletableFuture<Proposals.Outcome> x : f) {
            x.get(10, TimeUnit.SECONDS);
        }
        assertThat(sent).extracting(e -> e.stream().map(t -> t.txn().then().getFirst().key()).toList())
                .containsExactly(List.of("x"), List.of("b", "a"), List.of("a", "c"), List.of("d"));

        Proposals small = proposals(1, 256, 1);
        small.propose(put("y"), UUID.randomUUID());
        CompletableFuture<Proposals.Outcome> big1 = small.propose(put("p"), UUID.randomUUID());
        CompletableFuture<Proposals.Outcome> big2 = small.propose(put("q"), UUID.randomUUID());
        for (int i = 0; i < 3; i++) {
            release();
        }
        assertThat(versionOf(big1)).as("over the byte limit, each alone").isNotEqualTo(versionOf(big2));
    }

    @Test
    void anEntryPassesOverATransactionOnAKeyItTouchesAndKeepsEachKeysOrder() throws Exception {
        Proposals p = proposals(1, 256, 1 << 20);
        p.propose(put("x"), UUID.randomUUID());
        // Queued while the first entry is out: a, a, b, a, c, then one on b and d, then d.
        List<Txn> queued = List.of(put("a"), put("a"), put("b"), put("a"), put("c"),
                new Txn(List.of(), List.of(new Txn.Op.Put("b", "v"), new Txn.Op.Put("d", "v")), List.of()), put("d"));
        List<CompletableFuture<Proposals.Outcome>> f = new ArrayList<>();
        for (Txn t : queued) {
            f.add(p.propose(t, UUID.randomUUID()));
        }
        for (int i = 0; i < 4; i++) {
            release();
        }
        for (CompletableFuture<Proposals.Outcome> x : f) {
            x.get(10, TimeUnit.SECONDS);
        }
        // The second a waits, and so does every later transaction on a; {b, d} waits behind b, and d behind it.
        assertThat(sent).extracting(e -> e.stream().map(t -> t.txn().then().stream().map(Txn.Op::key).toList()).toList())
                .containsExactly(List.of(List.of("x")),
                        List.of(List.of("a"), List.of("b"), List.of("c")),
                        List.of(List.of("a"), List.of("b", "d")),
                        List.of(List.of("a"), List.of("d")));
        assertThat(p.counts()).containsExactly(4, 8);
    }

    @Test
    void entriesInFlightAreBoundedAndAFailedEntryFailsEveryTransactionInIt() throws Exception {
        Proposals failing = new Proposals(entry -> CompletableFuture.failedFuture(new IOException("no leader")), 2, 256, 1 << 20);
        CompletableFuture<Proposals.Outcome> f = failing.propose(put("a"), UUID.randomUUID());
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).hasRootCauseMessage("no leader");

        Proposals p = proposals(2, 256, 1 << 20);
        List<CompletableFuture<Proposals.Outcome>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(p.propose(put("k" + i), UUID.randomUUID()));
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> gates.size() == 2);
        assertThat(sent).as("two entries out, the rest waiting").hasSize(2);
        release();
        release();
        release();
        for (CompletableFuture<Proposals.Outcome> x : all) {
            x.get(10, TimeUnit.SECONDS);
        }
        assertThat(sent).extracting(List::size).containsExactly(1, 1, 8);
    }

    @Test
    void aSenderThatAnswersAtOnceOrThrowsStillSettlesEveryTransaction() throws Exception {
        // A leader's log can answer on the proposing thread (an entry refused at once, a closed server): the next
        // entry is then proposed from inside that answer, and every transaction must still be settled.
        long[] at = {0};
        Proposals immediate = new Proposals(entry -> {
            List<byte[]> replies = new ArrayList<>();
            long index = ++at[0];
            List<TxnCodec.Entry> txns = transactions(entry);
            for (TxnCodec.Entry t : txns) {
                replies.add(TxnCodec.encode(new TxnCodec.Reply.Committed(true,
                        List.of(new TxnEvaluator.Result(t.txn().then().getFirst().key(), index, "v")))));
            }
            return CompletableFuture.completedFuture(new Proposals.Sent(
                    TxnCodec.isBatch(entry) ? TxnCodec.encodeBatchReply(replies) : replies.getFirst(), index));
        }, 1, 256, 1 << 20);
        List<CompletableFuture<Proposals.Outcome>> all = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            all.add(immediate.propose(put("same"), UUID.randomUUID()));
        }
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i)).as("write %d settled before propose returned", i).isDone();
            assertThat(versionOf(all.get(i))).isEqualTo(i + 1);
        }

        Proposals throwing = new Proposals(entry -> {
            throw new IllegalStateException("closing");
        }, 1, 256, 1 << 20);
        CompletableFuture<Proposals.Outcome> f = throwing.propose(put("a"), UUID.randomUUID());
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).hasRootCauseMessage("closing");
        assertThat(throwing.propose(put("b"), UUID.randomUUID())).as("the failed entry left its slot").isCompletedExceptionally();
    }
}
