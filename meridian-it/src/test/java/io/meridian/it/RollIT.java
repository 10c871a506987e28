package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling restart under load ({@code lab roll}): every region's node in turn drains, stops and
 * starts again on its data while a region-aware client writes to a multi-master keyspace, to a
 * home-region keyspace (its keys homed in the first region rolled), and to a strong keyspace
 * (deposits, each with its own idempotency key), and reads. No request may fail, and every
 * acknowledged write must be there afterwards, the strong ones applied once each. The lab runs at
 * a fifth of the real delays with automatic failover, and nothing may fail over: a draining region
 * tells its peers it is restarting on purpose, and they do not suspect it while it is away. The
 * lab runs with TLS: clients on HTTPS, regions on mutual TLS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RollIT {
    @TempDir
    static Path dir;
    Lab lab;
    MeridianClient client;

    @BeforeAll
    void up() {
        // With TLS: the roll also restarts every mutual-TLS connection between regions (Raft, streams, probes).
        lab = LabFixture.up(dir, new LabTopology.Setup(0.2, 0, 0).withTls(true), "auto");
        String[] urls = LabFixture.REGIONS.stream().map(r -> lab.state().orElseThrow().region(r).orElseThrow().url())
                .toArray(String[]::new);
        assertThat(urls).allMatch(u -> u.startsWith("https://"));
        client = MeridianClient.builder().regions(urls).preferredRegions("us-east").tls(lab.tls().orElseThrow())
                .timeout(Duration.ofSeconds(2)).deadline(Duration.ofSeconds(30)).build();
    }

    @AfterAll
    void down() throws Exception {
        if (client != null) {
            client.close();
        }
        LabFixture.down(lab, Map.of(), dir);
    }

    private interface Write {
        void run(int i) throws MeridianClientException;
    }

    @Test
    void everyRegionRestartsInTurnUnderLoadWithNoRequestFailedAndNoWriteLost() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, String> sessions = new ConcurrentHashMap<>();
        Map<String, String> profiles = new ConcurrentHashMap<>();
        AtomicLong deposits = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Map<String, Write> workload = new java.util.LinkedHashMap<>();
        workload.put("sessions", i -> {
            String key = "roll-s-" + i;
            client.put("sessions", key, ("s" + i).getBytes(StandardCharsets.UTF_8), "text/plain", RequestOptions.NONE);
            sessions.put(key, "s" + i);
        });
        workload.put("profiles", i -> {
            String key = "roll-p-" + i;
            client.put("profiles", key, ("p" + i).getBytes(StandardCharsets.UTF_8), "text/plain", RequestOptions.NONE);
            profiles.put(key, "p" + i);
        });
        workload.put("accounts", i -> {
            client.transaction("accounts", "{\"then\": [{\"add\": {\"key\": \"roll-total\", \"delta\": 1}}]}",
                    RequestOptions.NONE.idempotencyKey("roll-deposit-" + i));
            deposits.incrementAndGet();
        });
        workload.put("reads", i -> {
            if (i > 0) {
                client.get("sessions", "roll-s-0");
            }
            reads.incrementAndGet();
        });
        List<Thread> threads = new ArrayList<>();
        workload.forEach((name, write) -> threads.add(Thread.ofPlatform().name("roll-" + name).start(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    write.run(i);
                } catch (MeridianClientException e) {
                    failed.incrementAndGet();
                    failures.add(name + " " + i + ": " + e.getMessage());
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        })));
        Thread.sleep(2_000);
        long began = System.nanoTime();
        List<Lab.RollStep> steps = lab.roll(Duration.ofSeconds(90), Duration.ofSeconds(2),
                step -> System.out.printf("roll: %s stopped in %d ms%s, ready %d ms later%n", step.region(), step.stopMillis(),
                        step.forced() ? " (killed)" : "", step.readyMillis()));
        long rollMillis = (System.nanoTime() - began) / 1_000_000;
        Thread.sleep(2_000);
        stop.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        System.out.printf("roll of %d regions in %d ms under load: %d sessions, %d profiles, %d deposits, %d reads acknowledged;"
                + " %d failed, %d client failovers%n", steps.size(), rollMillis, sessions.size(), profiles.size(), deposits.get(),
                reads.get(), failed.get(), client.failoverCount());
        assertThat(steps).extracting(Lab.RollStep::region).containsExactlyElementsOf(LabFixture.REGIONS);
        assertThat(steps).noneMatch(Lab.RollStep::forced);
        assertThat(failures).as("requests failed during the roll").isEmpty();
        assertThat(client.failovers().decisions()).as("a planned restart is not a failure: no failover decided").isEmpty();
        assertThat(client.failovers().epoch()).isEqualTo(1);
        assertThat(sessions).hasSizeGreaterThan(20);

        String session = client.session();
        for (String region : LabFixture.REGIONS) {
            try (MeridianClient c = MeridianClient.connect(lab.state().orElseThrow().region(region).orElseThrow().url(),
                    Duration.ofSeconds(10), lab.tls().orElseThrow())) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    for (Map.Entry<String, String> w : sessions.entrySet()) {
                        assertThat(c.get("sessions", w.getKey(), RequestOptions.NONE.session(session))).as("%s in %s", w.getKey(), region)
                                .map(MeridianClient.Value::text).contains(w.getValue());
                    }
                    for (Map.Entry<String, String> w : profiles.entrySet()) {
                        assertThat(c.get("profiles", w.getKey(), RequestOptions.NONE.session(session))).as("%s in %s", w.getKey(), region)
                                .map(MeridianClient.Value::text).contains(w.getValue());
                    }
                });
            }
        }
        assertThat(client.get("accounts", "roll-total").orElseThrow().text()).as("each acknowledged deposit applied once")
                .isEqualTo(Long.toString(deposits.get()));
    }
}
