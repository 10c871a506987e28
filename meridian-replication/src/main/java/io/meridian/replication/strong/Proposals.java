package io.meridian.replication.strong;

import io.meridian.core.txn.Txn;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The strong writes of one keyspace on their way into its Raft log: concurrent transactions share
 * a log entry. At most {@code maxInFlight} entries are proposed at a time; transactions that
 * arrive meanwhile wait, and the next entry takes every one of them that fits (up to
 * {@code maxPerEntry} transactions and {@code maxEntryBytes}, in arrival order, passing over one
 * that touches a key an earlier one in the entry touches, so that a key is written at most
 * once per entry and versions, which are log indexes, stay unique). A lone writer's transaction
 * is proposed at once, alone, in the single-transaction format.
 *
 * <p>Every entry costs the same Raft work whatever it holds: the leader's log append and fsync,
 * an append to each follower and its fsync and answer, the commit and the apply. Across a WAN
 * round trip the writes a region can commit are (entries in flight x transactions per entry)
 * per round trip, and the CPU and bytes per write fall as entries fill.
 */
final class Proposals {
    /**
     * Proposes one log entry without blocking: the future completes with the state machine's reply
     * and the entry's index once the entry is applied, or fails. It may complete on a consensus
     * thread (the leader's apply thread), which then runs the transactions' completions and
     * proposes the next entry: nothing after it may block.
     */
    interface Sender {
        CompletableFuture<Sent> send(byte[] entry);
    }

    /** What the log said of an entry: its reply's bytes and its index. */
    record Sent(byte[] reply, long logIndex) {
    }

    /** One transaction's outcome: its reply and the index of the entry that carried it. */
    record Outcome(TxnCodec.Reply reply, long logIndex) {
    }

    private record Pending(byte[] encoded, Set<String> keys, CompletableFuture<Outcome> done) {
    }

    private final Sender sender;
    private final int maxInFlight;
    private final int maxPerEntry;
    private final long maxEntryBytes;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;
    private long entries;
    private long transactions;

    Proposals(Sender sender, int maxInFlight, int maxPerEntry, long maxEntryBytes) {
        if (maxInFlight < 1 || maxPerEntry < 1 || maxEntryBytes < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
        this.sender = sender;
        this.maxInFlight = maxInFlight;
        this.maxPerEntry = maxPerEntry;
        this.maxEntryBytes = maxEntryBytes;
    }

    /** Queues a transaction (request {@code requestId}); the future completes once its entry is applied, or fails with it. */
    CompletableFuture<Outcome> propose(Txn txn, UUID requestId) {
        Pending p = new Pending(TxnCodec.encode(txn, requestId), keys(txn), new CompletableFuture<>());
        List<List<Pending>> ready;
        synchronized (this) {
            queue.addLast(p);
            ready = takeReady();
        }
        ready.forEach(this::dispatch);
        return p.done();
    }

    /** Entries proposed and transactions they carried, since start. */
    synchronized long[] counts() {
        return new long[] {entries, transactions};
    }

    static Set<String> keys(Txn txn) {
        Set<String> keys = new HashSet<>();
        txn.compares().forEach(c -> keys.add(c.key()));
        txn.then().forEach(o -> keys.add(o.key()));
        txn.otherwise().forEach(o -> keys.add(o.key()));
        return keys;
    }

    /**
     * Under the monitor: the entries to propose now, each counted in flight. An entry takes queued
     * transactions in arrival order and passes over one that touches a key the entry already
     * touches, or a key of one passed over before it: that one waits at the head of the queue for
     * the next entry, and a key's transactions still enter the log in the order they arrived.
     * Stopping at the first such transaction instead left entries short whenever concurrent
     * writers shared a key, and the writes behind it waited for a slot: 64 writers on 8 keys in
     * the lab made 660-702 writes/s at p90 113-127 ms that way, 785-789/s at p90 90-91 ms this
     * way (docs/benchmarks.md, issue 12, twentieth session).
     */
    private List<List<Pending>> takeReady() {
        List<List<Pending>> ready = new ArrayList<>();
        while (inFlight < maxInFlight && !queue.isEmpty()) {
            List<Pending> entry = new ArrayList<>();
            Set<String> touched = new HashSet<>();
            Set<String> passedOver = new HashSet<>();
            long bytes = 0;
            for (java.util.Iterator<Pending> it = queue.iterator(); it.hasNext() && entry.size() < maxPerEntry; ) {
                Pending next = it.next();
                if (next.keys().stream().anyMatch(k -> touched.contains(k) || passedOver.contains(k))) {
                    passedOver.addAll(next.keys()); // it takes no room in this entry
                    continue;
                }
                if (!entry.isEmpty() && bytes + next.encoded().length > maxEntryBytes) {
                    break;
                }
                it.remove();
                entry.add(next);
                touched.addAll(next.keys());
                bytes += next.encoded().length;
            }
            inFlight++;
            entries++;
            transactions += entry.size();
            ready.add(entry);
        }
        return ready;
    }

    private void dispatch(List<Pending> entry) {
        CompletableFuture<Sent> sent;
        try {
            byte[] bytes = entry.size() == 1 ? entry.getFirst().encoded()
                    : TxnCodec.encodeBatch(entry.stream().map(Pending::encoded).toList());
            sent = sender.send(bytes);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((s, failure) -> {
            try {
                if (failure != null) {
                    throw failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                }
                List<TxnCodec.Reply> replies = TxnCodec.decodeReplies(s.reply());
                if (replies.size() != entry.size()) {
                    throw new IOException("an entry of " + entry.size() + " transactions got " + replies.size() + " replies");
                }
                for (int i = 0; i < entry.size(); i++) {
                    entry.get(i).done().complete(new Outcome(replies.get(i), s.logIndex()));
                }
            } catch (Throwable e) {
                entry.forEach(p -> p.done().completeExceptionally(e));
            } finally {
                finished();
            }
        });
    }

    private void finished() {
        List<List<Pending>> ready;
        synchronized (this) {
            inFlight--;
            ready = takeReady();
        }
        ready.forEach(this::dispatch);
    }
}
