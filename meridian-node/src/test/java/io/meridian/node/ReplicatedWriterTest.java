package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.MeridianException;
import io.meridian.core.Preconditions;
import io.meridian.core.Versions;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.Replica;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.storage.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicated writes made in groups by the region's replicated writer: each is checked and made
 * as one made alone would be, and answered only once durable.
 */
class ReplicatedWriterTest {
    private static final MeridianConfig CONFIG = ConfigLoader.parse("test.yaml", """
            regions:
              - {name: us-east, http: 127.0.0.1:0, replication: 127.0.0.1:1}
              - {name: eu-west, http: 127.0.0.1:0, replication: 127.0.0.1:2}
            keyspaces:
              - {name: sessions, policy: multi-master}
            """);

    @TempDir
    Path dir;

    private static Replica.Write put(String key, String value) {
        return Replica.Write.put("sessions", key, value.getBytes(StandardCharsets.UTF_8), "text/plain", "");
    }

    private static Preconditions ifMatch(String tag) {
        return new Preconditions(new Versions.Condition(false, List.of(tag)), null);
    }

    @Test
    void concurrentCompareAndSetsInGroupsLetExactlyOneWinPerVersionAndAnswerOnlyWhatIsDurable() throws Exception {
        try (Store store = Store.open(dir, Set.of("sessions"), System::currentTimeMillis);
             ThreadScheduler scheduler = new ThreadScheduler("test-scheduler")) {
            ReplicationEngine engine = new ReplicationEngine("us-east", CONFIG, store, null, SystemClock.INSTANCE, scheduler);
            engine.write(put("counter", "0"), Preconditions.NONE);
            int threads = 8;
            int attempts = 40;
            AtomicInteger won = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> workers = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < attempts; i++) {
                        String seen = ReplicationEngine.tag(engine.current("sessions", "counter").orElseThrow());
                        int n = Integer.parseInt(new String(engine.current("sessions", "counter").orElseThrow().value(),
                                StandardCharsets.UTF_8));
                        try {
                            Replica.Written w = engine.writeAsync(put("counter", Integer.toString(n + 1)), ifMatch(seen), () -> { })
                                    .get(30, TimeUnit.SECONDS);
                            assertThat(engine.store().shippable("us-east")).as("answered once durable")
                                    .isGreaterThanOrEqualTo(w.entry().seq());
                            won.incrementAndGet();
                        } catch (java.util.concurrent.ExecutionException e) {
                            if (e.getCause() instanceof MeridianException) {
                                refused.incrementAndGet(); // another writer's write came first: the version moved
                            } else {
                                failures.add(e.getCause());
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            assertThat(failures).isEmpty();
            assertThat(won.get() + refused.get()).isEqualTo(threads * attempts);
            assertThat(won.get()).isPositive();
            // Every win read the value it replaced: no two wins on one version, so the counter counts them all.
            int value = Integer.parseInt(new String(engine.current("sessions", "counter").orElseThrow().value(), StandardCharsets.UTF_8));
            assertThat(value).isEqualTo(won.get());
            assertThat(engine.watermarks().get("us-east")).isEqualTo(1 + won.get());
            engine.close();
        }
    }

    @Test
    void aFailingGuardFailsOnlyItsOwnWriteAndAClosedEngineAnswersWithAnError() throws Exception {
        try (Store store = Store.open(dir, Set.of("sessions"), System::currentTimeMillis);
             ThreadScheduler scheduler = new ThreadScheduler("test-scheduler")) {
            ReplicationEngine engine = new ReplicationEngine("us-east", CONFIG, store, null, SystemClock.INSTANCE, scheduler);
            List<CompletableFuture<Replica.Written>> made = new CopyOnWriteArrayList<>();
            CompletableFuture<Replica.Written> fenced = null;
            for (int i = 0; i < 50; i++) {
                if (i == 25) {
                    fenced = engine.writeAsync(put("k25", "v"), Preconditions.NONE, () -> {
                        throw new IllegalStateException("this region may not write k25");
                    });
                } else {
                    made.add(engine.writeAsync(put("k" + i, "v"), Preconditions.NONE, () -> { }));
                }
            }
            CompletableFuture.allOf(made.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            CompletableFuture<Replica.Written> refused = fenced;
            assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
            assertThat(engine.current("sessions", "k25")).isEmpty();
            assertThat(engine.watermarks().get("us-east")).isEqualTo(49);
            assertThat(made).extracting(f -> f.join().entry().seq()).doesNotHaveDuplicates();

            engine.close();
            CompletableFuture<Replica.Written> late = engine.writeAsync(put("late", "v"), Preconditions.NONE, () -> { });
            assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS)).hasMessageContaining("stopping");
            assertThat(engine.current("sessions", "late")).isEmpty();
        }
    }

    @Test
    void aWriteToAnEngineClosedBeforeItsFirstWriteIsRefusedWithoutStartingAWriter() {
        try (Store store = Store.open(dir, Set.of("sessions"), System::currentTimeMillis);
             ThreadScheduler scheduler = new ThreadScheduler("test-scheduler")) {
            ReplicationEngine engine = new ReplicationEngine("us-east", CONFIG, store, null, SystemClock.INSTANCE, scheduler);
            engine.close();
            assertThatThrownBy(() -> engine.writeAsync(put("k", "v"), Preconditions.NONE, () -> { }))
                    .isInstanceOf(MeridianException.class).hasMessageContaining("stopping");
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).doesNotContain("us-east-replicated-writer");
        }
    }
}
