package io.meridian.node.metrics;

import io.meridian.core.api.FailoverView;
import io.meridian.core.api.ReplicationView;
import io.meridian.core.failover.ControlState;
import io.meridian.core.health.PeerHealth;
import io.meridian.storage.Store;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The node's metrics, scraped at {@code /metrics} in Prometheus text format through Micrometer.
 * Request latency is a histogram per keyspace, operation and status
 * ({@code meridian_requests_seconds}); storage and peer figures are gauges read at scrape time.
 */
public final class NodeMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Timer> canaryStaleness = new ConcurrentHashMap<>();

    /**
     * What the function counters read. Micrometer holds a function counter's object weakly: a
     * supplier made for it alone (a method reference) is collected at the next GC and the
     * counter reads 0 from then on (found by StrongIT, whose eu-west counter read 0). Kept here.
     */
    private final java.util.List<Object> readFrom = new java.util.concurrent.CopyOnWriteArrayList<>();

    private <T> T held(T obj) {
        readFrom.add(obj);
        return obj;
    }

    public NodeMetrics(String region) {
        registry.config().commonTags("region", region);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    public void recordRequest(String keyspace, String operation, int status, long nanos) {
        String id = keyspace + '\0' + operation + '\0' + status;
        timers.computeIfAbsent(id, k -> Timer.builder("meridian.requests")
                        .description("HTTP API requests by keyspace, operation and status")
                        .tags("keyspace", keyspace, "operation", operation, "status", Integer.toString(status))
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(10))
                        .register(registry))
                .record(Duration.ofNanos(nanos));
    }

    /**
     * The requests on keyspaces counted so far, per keyspace and operation (every status together),
     * with their cumulative latency histograms: what {@code GET /v1/status} reports.
     */
    public java.util.List<io.meridian.core.api.StatusView.Requests> requestTotals() {
        record Sum(long[] counts, double[] totalMs, java.util.TreeMap<Double, Long> buckets) {
        }
        Map<String, Sum> sums = new java.util.TreeMap<>();
        for (Timer t : timers.values()) {
            String keyspace = t.getId().getTag("keyspace");
            if ("-".equals(keyspace)) {
                continue; // health checks, probes, scrapes, the console: not the application's requests
            }
            Sum sum = sums.computeIfAbsent(keyspace + '\0' + t.getId().getTag("operation"),
                    k -> new Sum(new long[2], new double[1], new java.util.TreeMap<>()));
            io.micrometer.core.instrument.distribution.HistogramSnapshot snap = t.takeSnapshot();
            sum.counts[0] += snap.count();
            if (t.getId().getTag("status").startsWith("5")) {
                sum.counts[1] += snap.count();
            }
            sum.totalMs[0] += snap.total(java.util.concurrent.TimeUnit.MILLISECONDS);
            for (io.micrometer.core.instrument.distribution.CountAtBucket b : snap.histogramCounts()) {
                sum.buckets.merge(b.bucket(java.util.concurrent.TimeUnit.MILLISECONDS), (long) b.count(), Long::sum);
            }
        }
        java.util.List<io.meridian.core.api.StatusView.Requests> out = new java.util.ArrayList<>();
        sums.forEach((id, sum) -> {
            Map<String, Long> buckets = new java.util.LinkedHashMap<>();
            long previous = 0;
            for (Map.Entry<Double, Long> b : sum.buckets.entrySet()) {
                if (b.getValue() != previous) { // a bound no request reached since the last one adds nothing
                    buckets.put(bound(b.getKey()), b.getValue());
                    previous = b.getValue();
                }
            }
            String[] parts = id.split("\0", 2);
            out.add(new io.meridian.core.api.StatusView.Requests(parts[0], parts[1], sum.counts[0], sum.counts[1],
                    Math.round(sum.totalMs[0] * 1000) / 1000.0, buckets));
        });
        return out;
    }

    /** A bucket's bound in milliseconds, as short as it reads exactly. */
    private static String bound(double millis) {
        return java.math.BigDecimal.valueOf(millis).stripTrailingZeros().toPlainString();
    }

    public void bindStorage(Store store, Collection<String> keyspaces) {
        for (String keyspace : keyspaces) {
            Gauge.builder("meridian.storage.keys", () -> store.stats(keyspace).estimatedKeys())
                    .description("RocksDB's estimate of the keys in the keyspace").tag("keyspace", keyspace).register(registry);
            Gauge.builder("meridian.storage.sst.bytes", () -> store.stats(keyspace).sstBytes())
                    .description("bytes of SST files of the keyspace").baseUnit("bytes").tag("keyspace", keyspace).register(registry);
            Gauge.builder("meridian.storage.memtable.bytes", () -> store.stats(keyspace).memtableBytes())
                    .description("bytes in the keyspace's memtables").baseUnit("bytes").tag("keyspace", keyspace).register(registry);
        }
    }

    /** With TLS: seconds until this region's certificate expires, as last loaded (negative once it has). */
    public void bindTls(java.util.function.DoubleSupplier secondsToExpiry) {
        Gauge.builder("meridian.tls.certificate.expiry.seconds", secondsToExpiry::getAsDouble)
                .description("seconds until this region's TLS certificate expires (negative: it has)").baseUnit("seconds").register(registry);
    }

    public void bindPeers(Collection<String> peers, Supplier<Collection<PeerHealth>> view) {
        for (String peer : peers) {
            Gauge.builder("meridian.peer.reachable", () -> find(view, peer).reachable() ? 1 : 0)
                    .description("1 when the last probe of the peer region was answered").tag("peer", peer).register(registry);
            Gauge.builder("meridian.peer.rtt.seconds", () -> find(view, peer).lastRttMillis() / 1000)
                    .description("round-trip time of the last probe to the peer region").tag("peer", peer).register(registry);
        }
    }

    /**
     * Replication figures, seen from this region as the source: per target region, the entries
     * of this region's own writes it has not acknowledged, how old the oldest of them is, and the
     * bytes sent to it; and the writes that exist nowhere else yet.
     */
    /** Each projection's lag in events: the keyspace's last {@code $all} position here minus the projection's. */
    public void bindProjections(Collection<String> names, java.util.function.Function<String, io.meridian.core.api.ProjectionView> view) {
        for (String name : names) {
            Gauge.builder("meridian.projection.lag.events", () -> view.apply(name).lag())
                    .tag("projection", name).description("events of the keyspace this region holds that the projection has not folded yet")
                    .register(registry);
        }
    }

    public void bindReplication(String region, Collection<String> peers, Supplier<ReplicationView> view) {
        for (String peer : peers) {
            Gauge.builder("meridian.replication.lag.entries", () -> peer(view, peer).lagEntries())
                    .description("this region's writes the target region has not acknowledged")
                    .tags("source", region, "target", peer).register(registry);
            Gauge.builder("meridian.replication.lag.seconds", () -> peer(view, peer).lagMs() / 1000.0)
                    .description("age of the oldest write of this region the target has not acknowledged")
                    .tags("source", region, "target", peer).register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("meridian.replication.bytes", held(view),
                            v -> v.get().peers().stream().filter(p -> p.region().equals(peer)).findFirst()
                                    .map(ReplicationView.PeerReplication::bytesSent).orElse(0L))
                    .description("bytes of replication streams sent to the target").baseUnit("bytes")
                    .tags("source", region, "target", peer).register(registry);
        }
        Gauge.builder("meridian.replication.unreplicated.writes", () -> view.get().unreplicatedWrites())
                .description("acknowledged writes of this region that no other region has acknowledged yet")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("meridian.replication.conflicts", held(view),
                        v -> v.get().conflictsDetected())
                .description("concurrent writes resolved here since start").register(registry);
    }

    /**
     * Canary probes: per source region, the staleness of its beats when they became visible here
     * (a histogram, {@code meridian_canary_staleness_seconds{source,target}}) and how old the
     * newest visible one is now; per target region, the read-your-writes probes sent there and
     * the violations among them.
     */
    public void bindCanary(String region, Collection<String> peers, Supplier<io.meridian.core.api.CanaryView> view) {
        Supplier<io.meridian.core.api.CanaryView> v = held(view);
        for (String peer : peers) {
            canaryStaleness.put(peer, Timer.builder("meridian.canary.staleness")
                    .description("time from a canary beat's write in the source region to its apply in the target")
                    .tags("source", peer, "target", region)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(60))
                    .register(registry));
            Gauge.builder("meridian.canary.age.seconds", v, x -> x.get().sources().stream()
                            .filter(s -> s.source().equals(peer) && s.ageMs() != null).findFirst()
                            .map(s -> s.ageMs() / 1000.0).orElse(Double.NaN))
                    .description("age of the source's newest canary beat visible here (grows while nothing arrives)")
                    .tags("source", peer, "target", region).register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("meridian.canary.ryw.probes", v,
                            x -> ryw(x, peer).probes())
                    .description("read-your-writes probes this region sent to the target").tags("target", peer).register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("meridian.canary.ryw.violations", v,
                            x -> ryw(x, peer).violations())
                    .description("read-your-writes probes the target answered with an older value than this region wrote")
                    .tags("target", peer).register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("meridian.canary.ryw.failures", v,
                            x -> ryw(x, peer).failures())
                    .description("read-your-writes probes that got no answer (region or link down, timeout)")
                    .tags("target", peer).register(registry);
        }
        io.micrometer.core.instrument.FunctionCounter.builder("meridian.canary.beats", v, x -> x.get().written())
                .description("canary beats this region wrote").register(registry);
    }

    private static io.meridian.core.api.CanaryView.Ryw ryw(Supplier<io.meridian.core.api.CanaryView> view, String target) {
        return view.get().ryw().stream().filter(r -> r.target().equals(target)).findFirst().orElseThrow();
    }

    /** A beat of {@code source} became visible here {@code millis} after it was written. */
    public void canaryStaleness(String source, long millis) {
        Timer t = canaryStaleness.get(source);
        if (t != null) {
            t.record(Duration.ofMillis(millis));
        }
    }

    /**
     * Per strong keyspace, the Raft entries this region proposed for its writes and the
     * transactions they carried: their ratio is how many writes an entry shared.
     */
    public void bindStrongProposals(Collection<String> keyspaces, Supplier<java.util.Map<String, long[]>> counts) {
        for (String keyspace : keyspaces) {
            io.micrometer.core.instrument.FunctionCounter.builder("meridian.strong.entries", held(counts),
                            c -> c.get().getOrDefault(keyspace, new long[2])[0])
                    .description("Raft log entries this region proposed for the keyspace's writes").tag("keyspace", keyspace)
                    .register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("meridian.strong.transactions", held(counts),
                            c -> c.get().getOrDefault(keyspace, new long[2])[1])
                    .description("transactions those entries carried (concurrent writes share an entry)").tag("keyspace", keyspace)
                    .register(registry);
        }
    }

    /** Per keyspace, what losing this region now would lose ({@code GET /v1/exposure}), and the RPO budget's work. */
    public void bindExposure(Collection<String> keyspaces, Supplier<io.meridian.core.api.ExposureView> view) {
        for (String keyspace : keyspaces) {
            Gauge.builder("meridian.exposure.writes", () -> exposed(view, keyspace).writes())
                    .description("writes this region acknowledged that no other region holds yet").tag("keyspace", keyspace)
                    .register(registry);
            Gauge.builder("meridian.exposure.bytes", () -> exposed(view, keyspace).bytes())
                    .description("bytes of values of the writes no other region holds yet").tag("keyspace", keyspace)
                    .register(registry);
            Gauge.builder("meridian.exposure.oldest.seconds", () -> exposed(view, keyspace).oldestAgeMs() / 1000.0)
                    .description("age of the oldest write no other region holds yet").tag("keyspace", keyspace)
                    .register(registry);
            Gauge.builder("meridian.rpo.budget.seconds", () -> {
                        Long budget = exposed(view, keyspace).rpoBudgetMs();
                        return budget == null ? Double.NaN : budget / 1000.0;
                    })
                    .description("the keyspace's declared RPO budget: the age its unreplicated writes may reach (NaN: none declared)")
                    .tag("keyspace", keyspace).register(registry);
        }
        io.micrometer.core.instrument.FunctionCounter.builder("meridian.rpo.budget.waits", held(view), v -> v.get().budgetWaits())
                .description("writes that waited for another region's copy (RPO budget exceeded, or 0)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("meridian.rpo.budget.refusals", held(view), v -> v.get().budgetRefusals())
                .description("writes refused because their keyspace's RPO budget was exceeded").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("meridian.rpo.budget.timeouts", held(view), v -> v.get().budgetTimeouts())
                .description("writes that waited for another region's copy in vain: stored, not acknowledged").register(registry);
    }

    /**
     * The failover state as this region has applied it ({@code GET /v1/failovers}): the epoch, this
     * region's write lease (data regions only), its failure detector's view of each peer, each
     * region's status, and the decisions open and waiting for an operator. The view is built once
     * per scrape, not once per gauge.
     */
    public void bindFailover(Collection<String> regions, Collection<String> peers, boolean lease, Supplier<FailoverView> view) {
        Supplier<FailoverView> once = new PerScrape<>(view);
        Gauge.builder("meridian.failover.epoch", () -> once.get().epoch())
                .description("the control plane's epoch as this region has applied it").register(registry);
        if (lease) {
            Gauge.builder("meridian.failover.lease.held", () -> once.get().lease().held() ? 1 : 0)
                    .description("1 while this region holds its write lease (it may write the keys it owns)").register(registry);
        }
        for (String peer : peers) {
            Gauge.builder("meridian.failover.peer.suspected", () -> peerView(once, peer).map(p -> p.suspected() ? 1 : 0).orElse(0))
                    .description("1 while this region's failure detector suspects the peer").tag("peer", peer).register(registry);
            Gauge.builder("meridian.failover.peer.phi", () -> peerView(once, peer).map(FailoverView.Peer::phi).orElse(Double.NaN))
                    .description("the phi-accrual suspicion level of the peer (suspected above the configured threshold)")
                    .tag("peer", peer).register(registry);
        }
        for (String of : regions) {
            Gauge.builder("meridian.failover.region.active", () -> once.get().regionNamed(of).map(r -> r.status().equals("active") ? 1 : 0)
                            .orElse(0))
                    .description("1 while the region is active, 0 while it is failed over, rejoining or failing back")
                    .tag("of", of).register(registry);
        }
        Gauge.builder("meridian.failover.decisions.open", () -> once.get().decisions().stream().filter(ControlState.Decision::open).count())
                .description("failover decisions not ended yet (restored, rejected or withdrawn end one)").register(registry);
        Gauge.builder("meridian.failover.decisions.pending", () -> once.get().decisions().stream()
                        .filter(d -> d.status() == ControlState.DecisionStatus.PENDING).count())
                .description("failover decisions waiting for an operator to approve or reject them").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("meridian.failover.decisions", held(once),
                        v -> v.get().decisions().stream().mapToLong(ControlState.Decision::id).max().orElse(0))
                .description("failover decisions raised since the deployment began").register(registry);
    }

    private static java.util.Optional<FailoverView.Peer> peerView(Supplier<FailoverView> view, String peer) {
        return view.get().peers().stream().filter(p -> p.name().equals(peer)).findFirst();
    }

    /** A view read at most once per scrape: kept for a quarter of a second, far less than any scrape interval. */
    private static final class PerScrape<T> implements Supplier<T> {
        private static final long KEEP_NANOS = 250_000_000L;
        private final Supplier<T> source;
        private T value;
        private long readAt;

        PerScrape(Supplier<T> source) {
            this.source = source;
        }

        @Override
        public synchronized T get() {
            long now = System.nanoTime();
            if (value == null || now - readAt > KEEP_NANOS) {
                value = source.get();
                readAt = now;
            }
            return value;
        }
    }

    private static io.meridian.core.api.ExposureView.Keyspace exposed(Supplier<io.meridian.core.api.ExposureView> view, String keyspace) {
        return view.get().keyspaces().stream().filter(k -> k.keyspace().equals(keyspace)).findFirst().orElseThrow();
    }

    private static ReplicationView.PeerReplication peer(Supplier<ReplicationView> view, String peer) {
        return view.get().peers().stream().filter(p -> p.region().equals(peer)).findFirst().orElseThrow();
    }

    private static PeerHealth find(Supplier<Collection<PeerHealth>> view, String peer) {
        return view.get().stream().filter(p -> p.region().equals(peer)).findFirst().orElseThrow();
    }

    public String scrape() {
        return registry.scrape();
    }

    public void close() {
        registry.close();
    }
}
