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
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {
    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_000);
    private Store store;

    @BeforeEach
    void open() {
        store = Store.open(dir, Set.of("cache", "other"), clock::get);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Store.PutResult put(String key, String value) {
        return store.put("cache", b(key), b(value), "text/plain", Preconditions.NONE);
    }

    @Test
    void aPutIsReadBackWithVersionTypeAndTime() {
        Store.PutResult r = put("k", "v");
        assertThat(r.created()).isTrue();
        StoredValue v = store.get("cache", b("k")).orElseThrow();
        assertThat(v.value()).isEqualTo(b("v"));
        assertThat(v.contentType()).isEqualTo("text/plain");
        assertThat(v.version()).isEqualTo(r.stored().version());
        assertThat(v.modifiedMillis()).isEqualTo(1_000);
    }

    @Test
    void keyspacesAreSeparate() {
        put("k", "v");
        assertThat(store.get("other", b("k"))).isEmpty();
    }

    @Test
    void everyWriteGetsAHigherVersionAndReplacingIsNotCreating() {
        long v1 = put("k", "a").stored().version();
        Store.PutResult second = put("k", "b");
        assertThat(second.created()).isFalse();
        assertThat(second.stored().version()).isGreaterThan(v1);
        assertThat(put("j", "c").stored().version()).isGreaterThan(second.stored().version());
    }

    @Test
    void versionsStayUniqueAndIncreasingAcrossARestart() {
        long before = put("k", "a").stored().version();
        store.close();
        store = Store.open(dir, Set.of("cache", "other"), clock::get);
        long after = put("k", "b").stored().version();
        assertThat(after).isGreaterThan(before);
        assertThat(store.get("cache", b("k")).orElseThrow().value()).isEqualTo(b("b"));
    }

    @Test
    void aDeletedKeyRecreatedNeverReusesAVersion() {
        long v1 = put("k", "a").stored().version();
        assertThat(store.delete("cache", b("k"), Preconditions.NONE)).contains(v1);
        assertThat(store.get("cache", b("k"))).isEmpty();
        assertThat(put("k", "b").stored().version()).isGreaterThan(v1);
    }

    @Test
    void deletingAMissingKeyReportsNothingDeleted() {
        assertThat(store.delete("cache", b("nope"), Preconditions.NONE)).isEmpty();
    }

    @Test
    void ifMatchWritesOnlyOverTheNamedVersion() {
        long v1 = put("k", "a").stored().version();
        Preconditions stale = new Preconditions(Versions.parseCondition("If-Match", Versions.etag(v1 + 100)), null);
        assertThatThrownBy(() -> store.put("cache", b("k"), b("x"), "text/plain", stale))
                .isInstanceOfSatisfying(MeridianException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.PRECONDITION_FAILED));
        assertThat(store.get("cache", b("k")).orElseThrow().value()).isEqualTo(b("a"));
        Preconditions current = new Preconditions(Versions.parseCondition("If-Match", Versions.etag(v1)), null);
        assertThat(store.put("cache", b("k"), b("y"), "text/plain", current).stored().value()).isEqualTo(b("y"));
    }

    @Test
    void ifNoneMatchStarCreatesOnlyOnce() {
        Preconditions create = new Preconditions(null, Versions.parseCondition("If-None-Match", "*"));
        store.put("cache", b("k"), b("first"), "text/plain", create);
        assertThatThrownBy(() -> store.put("cache", b("k"), b("second"), "text/plain", create))
                .isInstanceOf(MeridianException.class);
        assertThat(store.get("cache", b("k")).orElseThrow().value()).isEqualTo(b("first"));
    }

    @Test
    void concurrentCreateOnlyWritesHaveExactlyOneWinner() throws Exception {
        Preconditions create = new Preconditions(null, Versions.parseCondition("If-None-Match", "*"));
        List<Thread> threads = new ArrayList<>();
        AtomicLong winners = new AtomicLong();
        for (int i = 0; i < 16; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    store.put("cache", b("race"), b("x"), "text/plain", create);
                    winners.incrementAndGet();
                } catch (MeridianException e) {
                    // lost the race
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(winners.get()).isEqualTo(1);
    }

    @Test
    void scansReturnPrefixMatchesInOrderPageByPage() {
        for (String k : List.of("user:3", "user:1", "user:2", "order:1", "user:10", "v")) {
            put(k, k.toUpperCase());
        }
        ScanPage first = store.scan("cache", b("user:"), Optional.empty(), 2);
        assertThat(first.items()).extracting(v -> new String(v.key(), StandardCharsets.UTF_8)).containsExactly("user:1", "user:10");
        assertThat(first.next()).isPresent();
        ScanPage second = store.scan("cache", b("user:"), first.next(), 2);
        assertThat(second.items()).extracting(v -> new String(v.key(), StandardCharsets.UTF_8)).containsExactly("user:2", "user:3");
        assertThat(second.next()).isEmpty();
        assertThat(store.scan("cache", b(""), Optional.of(b("user:3")), 10).items())
                .extracting(v -> new String(v.key(), StandardCharsets.UTF_8)).containsExactly("v");
    }

    @Test
    void aDirectoryHeldByAnotherStoreIsRefusedNamingIt() {
        assertThatThrownBy(() -> Store.open(dir, Set.of("cache"), clock::get))
                .isInstanceOf(StorageException.class).hasMessageContaining(dir.toString());
    }

    @Test
    void keyspacesDroppedFromTheConfigurationKeepTheirData() {
        put("k", "kept");
        store.close();
        store = Store.open(dir, Set.of("other"), clock::get);
        store.close();
        store = Store.open(dir, Set.of("cache", "other"), clock::get);
        assertThat(store.get("cache", b("k")).orElseThrow().value()).isEqualTo(b("kept"));
    }

    @Test
    void aRecordOfAnUnknownFormatFailsLoudly() {
        assertThatThrownBy(() -> ValueCodec.decode(b("k"), new byte[] {9, 0, 0}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("format byte 9");
    }

    @Test
    void theProbeWriteSucceedsOnAHealthyStore() {
        store.probeWrite();
        assertThat(store.stats("cache").estimatedKeys()).isGreaterThanOrEqualTo(0);
    }
}
