package io.meridian.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.VersionVector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure replica on real RocksDB: what it commits survives a reopen, whole. */
class ReplicatedStoreTest {
    @TempDir
    Path dir;
    private Store store;
    private Replica replica;

    @BeforeEach
    void open() {
        store = Store.open(dir, Set.of("sessions"), () -> 0);
        replica = new Replica("a", new ReplicatedStore(store));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void reopen() {
        store.close();
        open();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Entry put(String key, String value, long wall) {
        return replica.write(Replica.Write.put("sessions", key, b(value), "text/plain", ""), wall).entry();
    }

    @Test
    void writesLogAndWatermarksSurviveAReopen() {
        put("k", "1", 100);
        Entry second = put("k", "2", 100);
        reopen();
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        assertThat(rs.watermark("a")).isEqualTo(2);
        assertThat(rs.current("sessions", "k")).contains(second);
        assertThat(rs.readLog("a", 1, 10)).extracting(Entry::seq).containsExactly(1L, 2L);
        assertThat(rs.highestHlc()).isEqualTo(second.hlc());
        assertThat(put("k", "3", 0).hlc().isAfter(second.hlc())).isTrue();
    }

    @Test
    void remoteEntriesAndConflictsAreStoredAndListed() {
        put("k", "mine", 100);
        Store otherDisk = Store.open(dir.resolve("b"), Set.of("sessions"), () -> 0);
        try {
            Replica b = new Replica("b", new ReplicatedStore(otherDisk));
            Entry theirs = b.write(Replica.Write.put("sessions", "k", b("theirs"), "text/plain", ""), 200).entry();
            replica.apply(theirs, 300);
            replica.store().sync();
        } finally {
            otherDisk.close();
        }
        reopen();
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        assertThat(rs.watermarks()).isEqualTo(new VersionVector(Map.of("a", 1L, "b", 1L)));
        assertThat(rs.current("sessions", "k").orElseThrow().value()).isEqualTo(b("theirs"));
        assertThat(rs.conflicts("sessions", 0, 10)).singleElement().satisfies(c -> {
            assertThat(c.seq()).isEqualTo(1);
            assertThat(c.conflict().loser().value()).isEqualTo(b("mine"));
            assertThat(c.conflict().detectedBy()).isEqualTo("a");
        });
        assertThat(rs.conflicts("sessions", 1, 10)).isEmpty();
    }

    @Test
    void aLostWriteIsRecordedOncePerFeedHoweverOftenItIsUndoneAndSaysWhetherItsClientWasAnswered() {
        put("k", "1", 100);
        Entry answered = put("k", "2", 110);
        Entry unanswered = put("j", "3", 120);
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        rs.markAnswered(answered.seq());
        assertThat(replica.lostWrites(1, 3, k -> true).answered()).isEqualTo(1);
        // A resync that fails is retried: the writes are undone again, and must not be listed again.
        replica.revertLost(1, 3, k -> true);
        replica.revertLost(1, 3, k -> true);
        reopen();
        rs = (ReplicatedStore) replica.store();
        assertThat(rs.conflicts("sessions", 0, 10)).hasSize(2)
                .anySatisfy(c -> {
                    assertThat(c.conflict().loser().seq()).isEqualTo(answered.seq());
                    assertThat(c.conflict().answered()).isTrue();
                })
                .anySatisfy(c -> {
                    assertThat(c.conflict().loser().seq()).isEqualTo(unanswered.seq());
                    assertThat(c.conflict().answered()).isFalse();
                });
        replica.revertLost(1, 3, k -> true);
        assertThat(rs.conflicts("sessions", 0, 10)).as("after a restart too").hasSize(2);
        rs.forgetAnsweredThrough(3);
        assertThat(rs.answered(answered.seq())).isFalse();
    }

    @Test
    void scansSkipTombstonesAndPage() {
        put("x1", "1", 1);
        put("x2", "2", 2);
        put("x3", "3", 3);
        replica.write(Replica.Write.delete("sessions", "x2", ""), 4);
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        ReplicatedStore.ScanResult page = rs.scan("sessions", "x", Optional.empty(), 1);
        assertThat(page.items()).extracting(Entry::key).containsExactly("x1");
        assertThat(rs.scan("sessions", "x", page.next(), 10).items()).extracting(Entry::key).containsExactly("x3");
        assertThat(rs.current("sessions", "x2").orElseThrow().isTombstone()).isTrue();
    }

    @Test
    void trimmingKeepsTheNewestEntries() {
        for (int i = 0; i < 10; i++) {
            put("k" + i, "v", i);
        }
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        assertThat(rs.trimLog("a", 3)).isEqualTo(7);
        assertThat(rs.logStart("a")).isEqualTo(8);
        assertThat(rs.readLog("a", 8, 100)).extracting(Entry::seq).containsExactly(8L, 9L, 10L);
        assertThat(rs.trimLog("a", 3)).isZero();
    }

    @Test
    void theLogReadsTheSameFromItsInMemoryTailAsFromDisk() {
        int last = ReplicatedStore.TAIL_ENTRIES + 300; // more than the tail holds
        for (int i = 1; i <= last; i++) {
            put("k" + (i % 37), "v" + i, i);
        }
        long tailStart = last - ReplicatedStore.TAIL_ENTRIES + 1;
        long[][] reads = {{1, 10}, {tailStart - 6, 40}, {tailStart - 1, 40}, {tailStart, 3}, {tailStart + 100, 600},
                {last - 10, 100}, {last, 1}, {last + 1, 5}};
        ReplicatedStore warm = (ReplicatedStore) replica.store();
        List<List<Entry>> fromTail = Arrays.stream(reads).map(r -> warm.readLog("a", r[0], (int) r[1])).toList();
        reopen(); // an empty tail: every read comes from RocksDB
        ReplicatedStore cold = (ReplicatedStore) replica.store();
        for (int i = 0; i < reads.length; i++) {
            long from = reads[i][0];
            int max = (int) reads[i][1];
            assertThat(fromTail.get(i)).as("from %d, at most %d", from, max)
                    .hasSize((int) Math.max(0, Math.min(max, last + 1 - from)))
                    .isEqualTo(cold.readLog("a", from, max));
        }
        Entry next = put("k", "after", 2000); // the tail starts again here
        assertThat(cold.readLog("a", last - 1, 5)).extracting(Entry::seq).containsExactly(last - 1L, (long) last, last + 1L);
        assertThat(cold.readLog("a", last + 1, 5)).containsExactly(next);
        cold.trimLog("a", 1);
        assertThat(cold.logStart("a")).isEqualTo(last + 1);
        assertThat(cold.readLog("a", last + 1, 5)).containsExactly(next);
        cold.dropLogThrough("a", last + 1);
        assertThat(cold.readLog("a", last + 1, 5)).isEmpty(); // gone from the tail as from the disk
    }

    @Test
    void theLogsStartFollowsCommitsTrimsDropsAndRaisedWatermarks() {
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        assertThat(rs.logStart("a")).isEqualTo(1); // empty: starts after the watermark
        put("k1", "v", 1);
        put("k2", "v", 2);
        assertThat(rs.logStart("a")).isEqualTo(1); // a commit does not move it
        rs.trimLog("a", 0);
        assertThat(rs.logStart("a")).isEqualTo(3);
        put("k3", "v", 3);
        assertThat(rs.logStart("a")).isEqualTo(3);
        assertThat(rs.readLog("a", rs.logStart("a"), 10)).extracting(Entry::seq).containsExactly(3L);
        assertThat(rs.logStart("b")).isEqualTo(1);
        rs.raiseWatermarks(new VersionVector(Map.of("b", 40L)), rs.highestHlc()); // as a snapshot does
        assertThat(rs.logStart("b")).isEqualTo(41);
        rs.dropLogThrough("a", 3);
        assertThat(rs.logStart("a")).isEqualTo(4);
        reopen();
        assertThat(((ReplicatedStore) replica.store()).logStart("a")).isEqualTo(4);
        assertThat(((ReplicatedStore) replica.store()).logStart("b")).isEqualTo(41);
    }

    @Test
    void aCommitOutOfOrderIsABug() {
        Store otherDisk = Store.open(dir.resolve("c"), Set.of("sessions"), () -> 0);
        try {
            Replica c = new Replica("c", new ReplicatedStore(otherDisk));
            c.write(Replica.Write.put("sessions", "k", b("1"), "t/p", ""), 1);
            Entry second = c.write(Replica.Write.put("sessions", "k", b("2"), "t/p", ""), 2).entry();
            assertThatThrownBy(() -> replica.store().commit(new io.meridian.core.replication.ReplicaStore.Commit(
                    second, Optional.of(io.meridian.core.replication.KeyState.of(second)), java.util.List.of(), false)))
                    .hasMessageContaining("c:1 is next");
        } finally {
            otherDisk.close();
        }
    }

    @Test
    void theChangeFeedListsWritesInApplyOrderAndSaysWhereItStartsOnceTheLogIsTrimmed() {
        for (int i = 1; i <= 5; i++) {
            put("k" + i, "v" + i, 100 + i);
        }
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        assertThat(rs.changes("sessions", 1, 10)).extracting(c -> c.entry().key()).containsExactly("k1", "k2", "k3", "k4", "k5");
        assertThat(rs.changes("sessions", 4, 10)).extracting(ReplicatedStore.Change::position).containsExactly(4L, 5L);
        rs.trimLog("a", 2);
        assertThatThrownBy(() -> rs.changes("sessions", 1, 10)).isInstanceOfSatisfying(ReplicatedStore.FeedExpired.class,
                e -> assertThat(e.first()).isEqualTo(4));
        assertThat(rs.changes("sessions", 4, 10)).hasSize(2);
        reopen();
        assertThat(((ReplicatedStore) replica.store()).lastPosition("sessions")).isEqualTo(5);
    }

    @Test
    void aDeletedKeyWrittenAgainLeavesTheTombstoneIndexAndOnlyThen() {
        put("k", "1", 1);
        replica.write(Replica.Write.delete("sessions", "k", ""), 2);
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        assertThat(rs.tombstones()).isEqualTo(1);
        put("k", "2", 3);
        assertThat(rs.tombstones()).isZero();
        put("k", "3", 4);
        reopen();
        assertThat(((ReplicatedStore) replica.store()).tombstones()).isZero();
    }

    @Test
    void groupCommitKeepsWhatIsNotDurableOutOfReplicationUntilOneSyncCoversIt() {
        ReplicatedStore rs = groupCommitStore();
        put("k1", "1", 1);
        long first = rs.written();
        put("k2", "2", 2);
        assertThat(rs.watermark("a")).isEqualTo(2);
        assertThat(rs.shippable("a")).isZero();
        assertThat(rs.shippableWatermarks()).isEqualTo(VersionVector.EMPTY);
        io.meridian.core.replication.Outbound out = new io.meridian.core.replication.Outbound("b", 100, 1_000);
        out.subscribe(Map.of("a", 0L), 0);
        assertThat(out.next(rs, 10, 1 << 20, 0)).isEmpty();

        rs.awaitDurable(first); // one sync covers every commit written by then, the second one too
        assertThat(rs.shippable("a")).isEqualTo(2);
        assertThat(rs.shippableWatermarks()).isEqualTo(rs.watermarks());
        assertThat(out.next(rs, 10, 1 << 20, 0)).extracting(Entry::seq).containsExactly(1L, 2L);

        put("k3", "3", 3);
        assertThat(rs.shippable("a")).isEqualTo(2);
        rs.sync(); // the owner's job in this mode: sync() alone makes nothing shippable
        assertThat(rs.shippable("a")).isEqualTo(2);
        rs.awaitDurable(rs.written());
        assertThat(rs.shippable("a")).isEqualTo(3);
    }

    /** Reopens the store in group-commit mode, the node's. */
    private ReplicatedStore groupCommitStore() {
        store.close();
        store = Store.open(dir, Set.of("sessions"), () -> 0);
        ReplicatedStore rs = new ReplicatedStore(store, k -> false, true);
        replica = new Replica("a", rs);
        return rs;
    }

    /** What a writer thread does after each of its writes, given its number, the write's sequence and its ticket. */
    private interface AfterWrite {
        void run(int writer, long seq, long ticket) throws Exception;
    }

    /** {@code writers} threads each making {@code each} writes in turn under one lock; @return what they threw */
    private java.util.Collection<Throwable> writeConcurrently(ReplicatedStore rs, int writers, int each, AfterWrite after)
            throws InterruptedException {
        Object lock = new Object();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < each; i++) {
                        long seq;
                        long ticket;
                        synchronized (lock) {
                            seq = put("w" + id + "-" + i, "v", i).seq();
                            ticket = rs.written();
                        }
                        after.run(id, seq, ticket);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return failures;
    }

    @Test
    void concurrentWritersShareSyncsAndEveryOneReturnsDurable() throws Exception {
        ReplicatedStore rs = groupCommitStore();
        int writers = 8;
        int each = 50;
        assertThat(writeConcurrently(rs, writers, each, (id, seq, ticket) -> {
            rs.awaitDurable(ticket);
            assertThat(rs.shippable("a")).as("shippable once durable").isGreaterThanOrEqualTo(seq);
        })).isEmpty();
        assertThat(rs.shippable("a")).isEqualTo(writers * each);
        assertThat(rs.written()).isEqualTo(writers * each);
    }

    @Test
    void writersThatDoNotWaitAreAnsweredOnlyOnceASyncCoversThemBesideWritersThatDo() throws Exception {
        ReplicatedStore rs = groupCommitStore();
        int writers = 6;
        int each = 60;
        java.util.List<java.util.concurrent.CompletableFuture<Void>> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        assertThat(writeConcurrently(rs, writers, each, (id, seq, ticket) -> {
            if (id % 2 == 0) { // half of them wait on their thread, half are answered by the store's
                rs.awaitDurable(ticket);
                assertThat(rs.shippable("a")).as("shippable once durable").isGreaterThanOrEqualTo(seq);
            } else {
                answers.add(rs.whenDurable(ticket).thenRun(() ->
                        assertThat(rs.shippable("a")).as("answered once durable").isGreaterThanOrEqualTo(seq)));
            }
        })).isEmpty();
        java.util.concurrent.CompletableFuture.allOf(answers.toArray(java.util.concurrent.CompletableFuture[]::new))
                .get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answers).hasSize(writers / 2 * each);
        assertThat(rs.shippable("a")).isEqualTo(writers * each);
        assertThat(rs.whenDurable(rs.written())).as("already durable: complete at once").isCompleted();
        rs.close();
    }

    @Test
    void closingAnswersWhatWaitsWithAnErrorAndRefusesNewWaits() {
        ReplicatedStore rs = groupCommitStore();
        rs.close();
        put("k", "v", 1);
        java.util.concurrent.CompletableFuture<Void> late = rs.whenDurable(rs.written());
        assertThat(late).isCompletedExceptionally();
        assertThatThrownBy(late::join).hasCauseInstanceOf(StorageException.class).hasMessageContaining("closed");
        rs.awaitDurable(rs.written()); // a caller that syncs on its own thread still can
        assertThat(rs.shippable("a")).isEqualTo(1);
    }

    @Test
    void anIdempotencyKeyIsKeptWithItsWriteOnDiskUntilForgotten() {
        io.meridian.core.Idempotency key = new io.meridian.core.Idempotency("order-1", 99, false);
        Entry made = replica.write(Replica.Write.put("sessions", "k", b("v"), "text/plain", "").idempotent(key), 100).entry();
        reopen();
        ReplicatedStore rs = (ReplicatedStore) replica.store();
        Entry kept = rs.idempotent("sessions", "order-1", 0).orElseThrow();
        assertThat(kept.stamp()).isEqualTo(made.stamp());
        assertThat(kept.key()).isEqualTo("k");
        assertThat(kept.idempotency()).isEqualTo(key.created(true));
        assertThat(kept.value()).isEmpty();
        // The key's state does not carry it; the log does (it travels with the write).
        assertThat(rs.current("sessions", "k").orElseThrow().idempotency().isNone()).isTrue();
        assertThat(rs.readLog("a", 1, 1).getFirst().idempotency()).isEqualTo(key.created(true));
        assertThat(rs.idempotent("sessions", "order-1", made.hlc().physicalMillis() + 1)).isEmpty();
        assertThat(rs.idempotent("sessions", "order-2", 0)).isEmpty();

        // Used again later (after it was forgotten elsewhere, say): forgetting the older use keeps the newer one.
        Entry other = replica.write(Replica.Write.put("sessions", "k3", b("x"), "text/plain", "")
                .idempotent(new io.meridian.core.Idempotency("order-3", 1, false)), 200).entry();
        Entry again = replica.write(Replica.Write.put("sessions", "k2", b("w"), "text/plain", "").idempotent(key), 500).entry();
        assertThat(rs.forgetIdempotency(400, 100)).isEqualTo(2); // the index entries at 100 (order-1's first use) and 200
        assertThat(rs.idempotent("sessions", "order-1", 0).orElseThrow().stamp()).isEqualTo(again.stamp());
        assertThat(rs.idempotent("sessions", "order-3", 0)).isEmpty();
        assertThat(other.seq()).isEqualTo(2);
        assertThat(rs.forgetIdempotency(1_000, 100)).isEqualTo(1);
        assertThat(rs.idempotent("sessions", "order-1", 0)).isEmpty();
    }
}
