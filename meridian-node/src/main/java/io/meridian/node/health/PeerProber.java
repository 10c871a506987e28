package io.meridian.node.health;

import io.meridian.core.Headers;
import io.meridian.core.Protocol;
import io.meridian.core.config.HostPort;
import io.meridian.core.health.PeerHealth;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every peer region's {@code /v1/health} over the address this region dials it by (in
 * the lab, the WAN emulator), on a kept-alive connection, and records reachability and the
 * round-trip time. One virtual thread per peer, so a silent peer delays no other probe.
 * Reachability changes are logged once at INFO; each probe is DEBUG.
 */
public final class PeerProber implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerProber.class);

    private static final String REFUSED = "connection refused";
    /** How soon a refused probe is tried again, until the refusals in a row that make the peer suspected. */
    static final Duration REFUSAL_RECHECK = Duration.ofMillis(50);
    private static final String CLOSED = "the connection closed without an answer (the peer restarted, or the link between dropped it)";
    private final String region;
    private final Duration interval;
    private final Duration timeout;
    private final Map<String, HostPort> addresses;
    private final Map<String, PeerHealth> health = new LinkedHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<HttpClient> clients = new ArrayList<>();
    private volatile boolean running;
    private final io.meridian.node.NodeTls tls;
    private volatile Listener onAnswer = (peer, sentNanos, lease, word, draining) -> { };
    private volatile boolean requestLeases;
    private volatile long wakeups;
    private volatile java.util.function.Supplier<io.meridian.core.failover.PeerWord> word;
    private volatile java.util.function.Consumer<String> onRefused = peer -> { };

    /** Hears every answered probe: the heartbeats failure detection feeds on, with the lease answer when one was asked. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param sentNanos when the probe was sent ({@link System#nanoTime})
         * @param lease     whether the peer granted this region's write lease, when it was asked
         * @param word      what the peer said of its suspicions and Raft logs, when it said
         * @param draining  whether the peer said it is stopping for a planned restart
         */
        void answered(String peer, long sentNanos, java.util.Optional<Boolean> lease,
                      java.util.Optional<io.meridian.core.failover.PeerWord> word, boolean draining);
    }

    /** How often each peer is probed (when no refusal makes it sooner). */
    public Duration interval() {
        return interval;
    }

    public PeerProber(String region, Map<String, HostPort> addresses, Duration interval, Duration timeout,
                      io.meridian.node.NodeTls tls) {
        this.region = region;
        this.tls = tls;
        this.addresses = new LinkedHashMap<>(addresses);
        this.interval = interval;
        this.timeout = timeout;
        addresses.forEach((peer, address) -> health.put(peer, PeerHealth.unknown(peer, address.toString())));
    }

    /** Called on every answered probe: the heartbeats failure detection feeds on. */
    public void onAnswer(Listener listener) {
        this.onAnswer = listener;
    }

    /**
     * Called when a probe was refused, or its connection closed without an answer, on a new connection
     * too: nothing answers at the peer's address (its process is gone, or a proxy in between has no
     * way to it), which says more than silence.
     */
    public void onRefused(java.util.function.Consumer<String> listener) {
        this.onRefused = listener;
    }

    /** Every probe from now on also asks the peer to extend this region's write lease. */
    public void requestLeases() {
        this.requestLeases = true;
    }

    public void start() {
        running = true;
        addresses.forEach((peer, address) -> {
            HttpClient client = tls.httpClient(timeout).build();
            clients.add(client);
            threads.add(Thread.ofVirtual().name("probe-" + peer).start(() -> loop(client, peer, address)));
        });
    }

    private static final String PROTOCOL = String.valueOf(Protocol.CURRENT);

    /**
     * Asks every peer once, all at once, which protocol it speaks: what a node checks before it
     * joins. Peers that do not answer within the probe timeout say nothing.
     *
     * @return why each peer that answered cannot work with this node (empty: every one can)
     */
    public List<String> incompatiblePeers() {
        List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        // All at once; closing the executor waits for every answer (each bounded by the probe timeout).
        try (HttpClient client = tls.httpClient(timeout).build();
             var asks = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            addresses.forEach((peer, address) -> asks.submit(() -> {
                try {
                    HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(tls.url(address) + "/v1/health"))
                            .timeout(timeout).header(Headers.REGION, region).header(Protocol.HEADER, PROTOCOL)
                            .GET().build(), HttpResponse.BodyHandlers.discarding());
                    if (r.headers().firstValue(Headers.REGION).filter(peer::equals).isPresent()) {
                        Protocol.incompatibility(peer, r.headers().firstValue(Protocol.HEADER)
                                .orElse(null)).ifPresent(problems::add);
                    }
                } catch (IOException e) {
                    // not answering: it says nothing of its protocol
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        return List.copyOf(problems);
    }

    /** The latest view of every peer, in configuration order. */
    public synchronized List<PeerHealth> view() {
        return List.copyOf(health.values());
    }

    private void loop(HttpClient client, String peer, HostPort address) {
        HttpRequest plain = HttpRequest.newBuilder(URI.create(tls.url(address) + "/v1/health"))
                .timeout(timeout).header(Headers.REGION, region).header(Protocol.HEADER, PROTOCOL).GET().build();
        HttpRequest withLease = HttpRequest.newBuilder(URI.create(tls.url(address) + "/v1/health"))
                .timeout(timeout).header(Headers.REGION, region).header(Protocol.HEADER, PROTOCOL)
                .header(Headers.LEASE, "request").GET().build();
        int refusedInARow = 0;
        while (running) {
            boolean lease = requestLeases;
            HttpRequest request = lease ? withLease : plain;
            java.util.function.Supplier<io.meridian.core.failover.PeerWord> told = word;
            if (told != null) {
                io.meridian.core.failover.PeerWord w = told.get();
                request = HttpRequest.newBuilder(request, (name, value) -> true)
                        .header(Headers.SUSPECTS, w.suspectsHeader()).header(Headers.RAFT_LOGS, w.logsHeader()).build();
            }
            Object outcome = probe(client, peer, request);
            record(peer, outcome instanceof Answer a ? a.rttMillis() : outcome);
            boolean refused = REFUSED.equals(outcome) || CLOSED.equals(outcome);
            if (refused) { // twice: on the kept-alive connection and a new one
                onRefused.accept(peer);
            }
            refusedInARow = refused ? refusedInARow + 1 : 0;
            if (outcome instanceof Answer a) {
                onAnswer.answered(peer, a.sentNanos(), lease ? java.util.Optional.of("granted".equals(a.lease()))
                        : java.util.Optional.empty(), java.util.Optional.ofNullable(a.word()), a.draining());
            }
            long seen = wakeups;
            // A refusal is confirmed at once rather than a heartbeat later: a few refused probes in a row make the
            // peer suspected (RegionAgent.REFUSALS_SUSPECTED), and a refused connection costs nothing to retry.
            // Then back to the usual pace while it stays down.
            Duration pause = refusedInARow > 0 && refusedInARow < io.meridian.core.failover.RegionAgent.REFUSALS_SUSPECTED && REFUSAL_RECHECK.compareTo(interval) < 0
                    ? REFUSAL_RECHECK : interval;
            long deadline = System.nanoTime() + pause.toNanos();
            while (running && wakeups == seen && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(deadline - System.nanoTime());
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
        }
    }

    /**
     * Probes every peer now instead of at the next interval: this region's suspicions changed, and
     * its peers should hear them (a majority's agreement starts an election) within a round trip.
     */
    public void probeNow() {
        wakeups++;
        threads.forEach(java.util.concurrent.locks.LockSupport::unpark);
    }

    /** Every probe from now on carries what {@code source} says (this region's suspicions and Raft logs). */
    public void tell(java.util.function.Supplier<io.meridian.core.failover.PeerWord> source) {
        this.word = source;
    }

    /** An answered probe: when it was sent, its round trip, the lease answer and the peer's word (each null when not given). */
    private record Answer(long sentNanos, double rttMillis, String lease, io.meridian.core.failover.PeerWord word, boolean draining) {
    }

    /** One probe: its {@link Answer}, or the reason it failed. */
    private Object probe(HttpClient client, String peer, HttpRequest request) {
        long start = System.nanoTime();
        try {
            HttpResponse<Void> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.discarding());
            } catch (IOException e) {
                // A kept-alive connection the far end (or the WAN emulator) closed while idle fails at
                // once; that says nothing of the peer. Once more, on a new connection.
                start = System.nanoTime();
                response = client.send(request, HttpResponse.BodyHandlers.discarding());
            }
            double rttMillis = (System.nanoTime() - start) / 1e6;
            String answeredAs = response.headers().firstValue(Headers.REGION).orElse("(no " + Headers.REGION + " header)");
            if (!answeredAs.equals(peer)) {
                return "the address answered as region " + answeredAs + ", not " + peer;
            }
            java.util.Optional<String> incompatible = Protocol.incompatibility(peer,
                    response.headers().firstValue(Protocol.HEADER).orElse(null));
            if (incompatible.isPresent()) {
                return incompatible.get();
            }
            if (response.statusCode() != 200) {
                return "health answered HTTP " + response.statusCode();
            }
            java.util.Optional<String> suspects = response.headers().firstValue(Headers.SUSPECTS);
            return new Answer(start, rttMillis, response.headers().firstValue(Headers.LEASE).orElse(null),
                    suspects.isEmpty() ? null : io.meridian.core.failover.PeerWord.parse(suspects.get(),
                            response.headers().firstValue(Headers.RAFT_LOGS).orElse(null)),
                    response.headers().firstValue(Headers.DRAINING).filter("true"::equals).isPresent());
        } catch (HttpTimeoutException e) {
            return "no answer within " + timeout.toMillis() + " ms";
        } catch (ConnectException e) {
            return REFUSED;
        } catch (IOException e) {
            // The JDK's messages ("HTTP/1.1 header parser received no bytes", "Connection reset") say
            // what the socket saw; say what it means.
            return CLOSED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private synchronized void record(String peer, Object outcome) {
        PeerHealth before = health.get(peer);
        PeerHealth after = outcome instanceof Double rtt
                ? before.onAnswer(rtt, System.currentTimeMillis())
                : before.onFailure((String) outcome);
        health.put(peer, after);
        if (before.reachable() != after.reachable() || before.probes() == 0) {
            if (after.reachable()) {
                log.info("peer {} at {} is reachable (round trip {} ms)", peer, after.address(),
                        String.format("%.1f", after.lastRttMillis()));
            } else {
                log.info("peer {} at {} is unreachable: {}", peer, after.address(), after.lastError().orElse(""));
            }
        }
        log.debug("probe {}: {}", peer, outcome);
    }

    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        clients.forEach(HttpClient::shutdownNow);
    }
}
