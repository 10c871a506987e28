package io.meridian.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.MeridianException;
import io.meridian.core.Preconditions;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyHandle;

/** The group commit of local writes: a group's writes are decided in order, each against the ones before it. */
class LocalWriterTest {
    private static final Preconditions CREATE = new Preconditions(null, Versions.parseCondition("If-None-Match", "*"));

    @TempDir
    Path dir;
    private Store store;
    private LocalWriter writer;
    private ColumnFamilyHandle cache;

    @BeforeEach
    void open() {
        store = Store.open(dir, Set.of("cache"), () -> 5_000);
        writer = new LocalWriter(store, "test-writer");
        cache = store.family("cache");
    }

    @AfterEach
    void close() {
        writer.close();
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private LocalWriter.Op put(String key, String value, Preconditions conditions) {
        return LocalWriter.Op.put("cache", cache, b(key), b(value), "text/plain", conditions);
    }

    private static Object outcome(LocalWriter.Op op) throws Exception {
        try {
            return op.result().get(10, TimeUnit.SECONDS); // completed by the answerer thread, after commit returned
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void writesOfOneGroupAreCheckedAgainstTheWritesBeforeThem() throws Exception {
        LocalWriter.Op first = put("k", "one", CREATE);
        LocalWriter.Op second = put("k", "two", CREATE);
        LocalWriter.Op other = put("k2", "x", Preconditions.NONE);
        writer.commit(List.of(first, second, other));

        Store.PutResult won = (Store.PutResult) outcome(first);
        assertThat(won.created()).isTrue();
        assertThat(outcome(second)).isInstanceOfSatisfying(MeridianException.class,
                e -> assertThat(e.type()).isEqualTo(ProblemType.PRECONDITION_FAILED));
        assertThat(((Store.PutResult) outcome(other)).stored().version()).isGreaterThan(won.stored().version());
        assertThat(store.get("cache", b("k")).orElseThrow().value()).isEqualTo(b("one"));

        // A delete of the version just written, then a create in the same group: the create sees the delete.
        Preconditions ofWon = new Preconditions(Versions.parseCondition("If-Match", Versions.etag(won.stored().version())), null);
        LocalWriter.Op delete = LocalWriter.Op.delete("cache", cache, b("k"), ofWon);
        LocalWriter.Op deleteAgain = LocalWriter.Op.delete("cache", cache, b("k"), Preconditions.NONE);
        LocalWriter.Op recreate = put("k", "three", CREATE);
        writer.commit(List.of(delete, deleteAgain, recreate));
        assertThat(outcome(delete)).isEqualTo(new Store.Deleted(Optional.of(won.stored().version()), false));
        assertThat(outcome(deleteAgain)).isEqualTo(new Store.Deleted(Optional.empty(), false));
        assertThat(((Store.PutResult) outcome(recreate)).created()).isTrue();
        assertThat(store.get("cache", b("k")).orElseThrow().value()).isEqualTo(b("three"));
    }

    @Test
    void aGroupOfOnlyRefusedWritesWritesNothing() throws Exception {
        writer.commit(List.of(put("k", "one", Preconditions.NONE)));
        long before = store.get("cache", b("k")).orElseThrow().version();
        LocalWriter.Op refused = put("k", "two", CREATE);
        LocalWriter.Op missing = LocalWriter.Op.delete("cache", cache, b("nothing"), Preconditions.NONE);
        writer.commit(List.of(refused, missing));
        assertThat(outcome(refused)).isInstanceOf(MeridianException.class);
        assertThat(outcome(missing)).isEqualTo(new Store.Deleted(Optional.empty(), false));
        assertThat(store.get("cache", b("k")).orElseThrow().version()).isEqualTo(before);
    }

    @Test
    void writesQueuedTogetherAllCompleteWithDistinctVersions() throws Exception {
        List<CompletableFuture<Store.PutResult>> results = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            results.add(store.putAsync("cache", b("key-" + (i % 50)), b("v" + i), "text/plain", Preconditions.NONE));
        }
        Set<Long> versions = new HashSet<>();
        for (CompletableFuture<Store.PutResult> r : results) {
            versions.add(r.get(60, TimeUnit.SECONDS).stored().version());
        }
        assertThat(versions).hasSize(2_000);
        for (int k = 0; k < 50; k++) { // the last write of each key is the one kept
            assertThat(store.get("cache", b("key-" + k)).orElseThrow().value()).isEqualTo(b("v" + (1_950 + k)));
        }
    }

    @Test
    void writesAfterCloseFailNamingTheStore() {
        store.close();
        assertThatThrownBy(() -> store.put("cache", b("k"), b("v"), "text/plain", Preconditions.NONE))
                .isInstanceOf(StorageException.class).hasMessageContaining("is closed").hasMessageContaining(dir.toString());
    }

    private static io.meridian.core.Idempotency key(String key, long fingerprint) {
        return new io.meridian.core.Idempotency(key, fingerprint, false);
    }

    private LocalWriter.Op put(String key, String value, Preconditions conditions, io.meridian.core.Idempotency idempotency) {
        return LocalWriter.Op.put("cache", cache, b(key), b(value), "text/plain", conditions, idempotency);
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyIsAnsweredAsTheWriteWasAndWritesNothing() throws Exception {
        LocalWriter.Op first = put("k", "one", CREATE, key("order-1", 7));
        LocalWriter.Op retryInGroup = put("k", "one", CREATE, key("order-1", 7));
        LocalWriter.Op reused = put("k", "other", Preconditions.NONE, key("order-1", 8));
        writer.commit(List.of(first, retryInGroup, reused));
        Store.PutResult made = (Store.PutResult) outcome(first);
        assertThat(made.replayed()).isFalse();
        Store.PutResult replayed = (Store.PutResult) outcome(retryInGroup);
        assertThat(replayed.replayed()).isTrue();
        assertThat(replayed.created()).isTrue();
        assertThat(replayed.stored().version()).isEqualTo(made.stored().version());
        assertThat(outcome(reused)).isInstanceOfSatisfying(MeridianException.class,
                e -> assertThat(e.type()).isEqualTo(ProblemType.IDEMPOTENCY_KEY_REUSED));

        // In a later group, and after the store is reopened: its create-only condition no longer holds, and it is
        // answered as the write it repeats all the same.
        writer.close();
        store.close();
        open();
        LocalWriter.Op later = put("k", "one", CREATE, key("order-1", 7));
        writer.commit(List.of(later));
        assertThat(((Store.PutResult) outcome(later)).stored().version()).isEqualTo(made.stored().version());
        assertThat(store.get("cache", b("k")).orElseThrow().version()).isEqualTo(made.stored().version());

        LocalWriter.Op delete = LocalWriter.Op.delete("cache", cache, b("k"), Preconditions.NONE, key("del-1", 3));
        writer.commit(List.of(delete));
        LocalWriter.Op deleteAgain = LocalWriter.Op.delete("cache", cache, b("k"), Preconditions.NONE, key("del-1", 3));
        LocalWriter.Op putUnderDeleteKey = put("k", "x", Preconditions.NONE, key("del-1", 3));
        writer.commit(List.of(deleteAgain, putUnderDeleteKey));
        assertThat(outcome(delete)).isEqualTo(new Store.Deleted(Optional.of(made.stored().version()), false));
        assertThat(outcome(deleteAgain)).isEqualTo(new Store.Deleted(Optional.of(made.stored().version()), true));
        assertThat(outcome(putUnderDeleteKey)).isInstanceOfSatisfying(MeridianException.class,
                e -> assertThat(e.type()).isEqualTo(ProblemType.IDEMPOTENCY_KEY_REUSED));
        assertThat(store.get("cache", b("k"))).isEmpty();
    }

    @Test
    void idempotencyKeysAreForgottenAfterTheirLifetime(@TempDir Path other) throws Exception {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
        try (Store s = Store.open(other, Set.of("cache"), now::get); LocalWriter w = new LocalWriter(s, "ttl-writer")) {
            s.idempotencyTtl(java.time.Duration.ofSeconds(10));
            ColumnFamilyHandle cf = s.family("cache");
            LocalWriter.Op first = LocalWriter.Op.put("cache", cf, b("k"), b("v"), "text/plain", Preconditions.NONE, key("a", 1));
            w.commit(List.of(first));
            now.addAndGet(10_000);
            LocalWriter.Op within = LocalWriter.Op.put("cache", cf, b("k"), b("v"), "text/plain", Preconditions.NONE, key("a", 1));
            w.commit(List.of(within));
            assertThat(((Store.PutResult) outcome(within)).replayed()).isTrue();
            now.addAndGet(1);
            LocalWriter.Op after = LocalWriter.Op.put("cache", cf, b("k"), b("v"), "text/plain", Preconditions.NONE, key("a", 1));
            w.commit(List.of(after));
            assertThat(((Store.PutResult) outcome(after)).replayed()).isFalse();
            assertThat(((Store.PutResult) outcome(after)).stored().version())
                    .isGreaterThan(((Store.PutResult) outcome(first)).stored().version());
        }
    }
}
