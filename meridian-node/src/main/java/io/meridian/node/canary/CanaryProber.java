package io.meridian.node.canary;

import io.meridian.core.Headers;
import io.meridian.core.MeridianException;
import io.meridian.core.Preconditions;
import io.meridian.core.api.CanaryView;
import io.meridian.core.canary.Canary;
import io.meridian.core.canary.CanaryBook;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.SessionToken;
import io.meridian.core.time.Clock;
import io.meridian.core.time.Scheduler;
import io.meridian.node.metrics.NodeMetrics;
import io.meridian.node.replication.ReplicationEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This region's canary probes (see {@link Canary}): every interval it writes its beat, synced,
 * through the replication engine as a user's write would be, then reads it back in one other
 * region (each in turn) with the write's session token, over the same link a client's forwarded
 * request takes; and it records each other region's beats as they are applied here. The
 * decisions and figures are the pure {@link CanaryBook}'s; this shell only does the I/O.
 */
public final class CanaryProber implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CanaryProber.class);
    /** How long a read-your-writes probe may take before it counts as failed. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    private final String region;
    private final MeridianConfig config;
    private final ReplicationEngine replication;
    private final Clock clock;
    private final Scheduler scheduler;
    private final CanaryBook book;
    private final HttpClient http;
    private final io.meridian.node.NodeTls tls;
    private int nextTarget;
    private volatile boolean closed;

    private CanaryProber(String region, MeridianConfig config, ReplicationEngine replication, Clock clock, Scheduler scheduler,
                         io.meridian.node.NodeTls tls) {
        this.region = region;
        this.tls = tls;
        this.http = tls.httpClient(Duration.ofSeconds(2)).build();
        this.config = config;
        this.replication = replication;
        this.clock = clock;
        this.scheduler = scheduler;
        // Beats are numbered on from the last one stored here, so a restarted region's beats read as newer.
        long lastN = replication.current(Canary.KEYSPACE, region).flatMap(e -> Canary.Beat.decode(e.value()))
                .map(Canary.Beat::n).orElse(0L);
        this.book = new CanaryBook(region, config.dataRegionNames(), config.canaries().interval().toMillis(), lastN);
    }

    /** Starts the probes of {@code region}; the caller checked that canaries run ({@link MeridianConfig#canaryKeyspace()}). */
    public static CanaryProber start(String region, MeridianConfig config, ReplicationEngine replication, Clock clock,
                                     Scheduler scheduler, NodeMetrics metrics, io.meridian.node.NodeTls tls) {
        CanaryProber p = new CanaryProber(region, config, replication, clock, scheduler, tls);
        metrics.bindCanary(region, p.book.peers(), p::view);
        replication.onBeat((entry, appliedAt) -> Canary.Beat.decode(entry.value())
                .ifPresent(beat -> p.book.observed(beat, appliedAt).ifPresent(ms -> metrics.canaryStaleness(beat.region(), ms))));
        scheduler.every(config.canaries().interval(), p::beat);
        return p;
    }

    public CanaryView view() {
        return book.view(clock.wallMillis());
    }

    /** Writes this region's next beat, then probes one peer for read-your-writes. */
    void beat() {
        if (closed) {
            return;
        }
        Canary.Beat beat = book.nextBeat(clock.wallMillis());
        Replica.Written written;
        try {
            written = replication.write(Replica.Write.put(Canary.KEYSPACE, region, beat.encode(), "application/json", region),
                    Preconditions.NONE);
        } catch (MeridianException | io.meridian.storage.StorageException e) {
            log.debug("canary beat {} of {} not written: {}", beat.n(), region, e.getMessage());
            return;
        }
        book.written(beat);
        List<String> peers = book.peers();
        if (peers.isEmpty()) {
            return;
        }
        String target = peers.get(nextTarget++ % peers.size());
        probe(target, beat, SessionToken.EMPTY.with(written.entry().stamp()).format());
    }

    private void probe(String target, Canary.Beat beat, String session) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(tls.url(config.addressFor(region, target)) + "/v1/kv/"
                        + Canary.KEYSPACE + "/" + region))
                .header(Headers.SESSION, session)
                .header(Headers.REGION, region)
                .timeout(PROBE_TIMEOUT).GET().build();
        long sent = clock.monotonicNanos();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((answer, failure) -> {
            long took = Duration.ofNanos(clock.monotonicNanos() - sent).toMillis();
            if (failure != null || (answer.statusCode() != 200 && answer.statusCode() != 404)) {
                book.probeFailed(target);
                log.debug("read-your-writes probe of {} to {} failed: {}", region, target,
                        failure != null ? failure.toString() : "HTTP " + answer.statusCode());
                return;
            }
            Optional<Canary.Beat> read = answer.statusCode() == 200 ? Canary.Beat.decode(answer.body()) : Optional.empty();
            if (book.probed(target, beat, read, took) == CanaryBook.Outcome.VIOLATION) {
                log.error("read-your-writes violated: {} wrote canary beat {} (session {}) and {} answered {}", region,
                        beat.n(), session, target, read.map(b -> "beat " + b.n()).orElse("that the key does not exist"));
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        scheduler.close();
        http.shutdownNow();
    }
}
