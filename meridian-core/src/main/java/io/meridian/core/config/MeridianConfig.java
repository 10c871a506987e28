package io.meridian.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A whole deployment, as read from one YAML file by {@link ConfigLoader}: regions, how they
 * reach each other, keyspaces, and node settings. Immutable and already validated.
 */
public record MeridianConfig(List<RegionConfig> regions, List<LinkConfig> links, List<KeyspaceConfig> keyspaces,
                             Probe probe, Replication replication, io.meridian.core.failover.FailoverSettings failover,
                             Optional<WanConfig> wan, Canaries canaries, Tracing tracing, CostConfig cost,
                             Optional<Tls> tls, Auth auth) {

    /** 1 MiB: the default largest value a keyspace accepts. */
    public static final long DEFAULT_MAX_VALUE_BYTES = 1L << 20;
    /** 64 MiB: no keyspace may accept larger values; replication batches them whole. */
    public static final long MAX_MAX_VALUE_BYTES = 64L << 20;

    public MeridianConfig {
        auth = auth == null ? Auth.OFF : auth;
        regions = List.copyOf(regions);
        links = List.copyOf(links);
        keyspaces = List.copyOf(keyspaces);
    }

    /**
     * TLS between regions and to clients ({@code tls: {dir: certs}}): the directory holding the
     * deployment's {@code ca.crt} and each region's {@code REGION.crt} and {@code REGION.key}, as
     * {@code meridian certs} writes them. A relative directory is taken from the configuration
     * file's own directory.
     */
    public record Tls(java.nio.file.Path dir) {
    }

    /**
     * Who may call the API ({@code auth:}): with {@code tokens: required}, every request but health
     * checks and metrics needs a region's certificate, an administrator's client certificate
     * ({@code admins}), or an access token whose scopes allow it. Off by default: anyone who reaches
     * the port may do anything.
     */
    public record Auth(boolean tokensRequired, List<String> admins) {
        public static final Auth OFF = new Auth(false, List.of());

        public Auth {
            admins = List.copyOf(admins);
        }
    }

    /** This configuration with its TLS directory resolved against {@code base} (where its file is). */
    public MeridianConfig resolvedAgainst(java.nio.file.Path base) {
        return tls.isEmpty() || tls.get().dir().isAbsolute() ? this : new MeridianConfig(regions, links, keyspaces, probe,
                replication, failover, wan, canaries, tracing, cost, Optional.of(new Tls(base.resolve(tls.get().dir()))), auth);
    }

    /** How regions and clients reach {@code address} over HTTP: {@code https://} once TLS is configured. */
    public String url(HostPort address) {
        return (tls.isPresent() ? "https://" : "http://") + address;
    }

    /**
     * Canary probes ({@code io.meridian.core.canary.Canary}): how often each data region writes
     * its beat; zero turns them off.
     */
    public record Canaries(Duration interval) {
        public static final Canaries DEFAULT = new Canaries(Duration.ofSeconds(1));

        public boolean enabled() {
            return !interval.isZero();
        }
    }

    /**
     * Tracing with OpenTelemetry: where spans go over OTLP/HTTP (empty: tracing off, the default)
     * and the share of traces started here that are kept (a request that arrives in a sampled
     * trace is traced whatever the ratio).
     */
    public record Tracing(Optional<java.net.URI> otlpEndpoint, double sampleRatio) {
        public static final Tracing OFF = new Tracing(Optional.empty(), 1.0);

        public boolean enabled() {
            return otlpEndpoint.isPresent();
        }
    }

    /**
     * The canary keyspace, when canaries run: they are on, and more than one data region holds
     * asynchronously replicated keyspaces. It is not among {@link #keyspaces()} (nobody configured
     * it, and listings leave it out) but {@link #keyspace(String)} finds it.
     */
    public Optional<KeyspaceConfig> canaryKeyspace() {
        boolean replicated = keyspaces.stream().anyMatch(k -> io.meridian.core.KeyspaceRules.of(k.policy()).asynchronous());
        return canaries.enabled() && replicated && dataRegionNames().size() > 1
                ? Optional.of(io.meridian.core.canary.Canary.keyspace()) : Optional.empty();
    }

    /** How often a node probes each peer region, and how long it waits for an answer. */
    public record Probe(Duration interval, Duration timeout) {
        public static final Probe DEFAULT = new Probe(Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    /**
     * Asynchronous replication settings.
     *
     * @param sessionWait     how long a session read waits for this region to catch up before forwarding
     * @param heartbeat       how often a stream with nothing to ship sends an empty batch
     * @param retainedEntries how many entries of each origin the log keeps; a region further behind needs a snapshot
     * @param compression     whether this region deflates the batches it sends (receivers read either)
     * @param idempotencyTtl  how long every region keeps a write's {@code Idempotency-Key} (writes of every policy):
     *                        a retry within it applies nothing
     * @param linger          least time between two batches on a stream: writes arriving meanwhile share the next
     *                        batch, its receiver's apply, fsync and acknowledgement, for at most this much more lag
     */
    public record Replication(Duration sessionWait, Duration heartbeat, long retainedEntries,
                              io.meridian.core.replication.StreamCodec.Compression compression, Duration idempotencyTtl,
                              Duration linger) {
        public static final Replication DEFAULT = new Replication(Duration.ofSeconds(1), Duration.ofMillis(100), 1_000_000,
                io.meridian.core.replication.StreamCodec.Compression.DEFLATE, Duration.ofHours(24), Duration.ofMillis(2));
    }

    public Optional<RegionConfig> region(String name) {
        return regions.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** The keyspace named {@code name}: a configured one, or the canary keyspace when canaries run. */
    public Optional<KeyspaceConfig> keyspace(String name) {
        if (io.meridian.core.canary.Canary.isCanary(name)) {
            return canaryKeyspace();
        }
        // Every request looks its keyspace up: a loop, where a stream made garbage each time (3 % of a region's).
        for (int i = 0; i < keyspaces.size(); i++) {
            if (keyspaces.get(i).name().equals(name)) {
                return Optional.of(keyspaces.get(i));
            }
        }
        return Optional.empty();
    }

    public List<String> regionNames() {
        return regions.stream().map(RegionConfig::name).toList();
    }

    /** The regions that hold keyspace data: every region but the witnesses. */
    public List<String> dataRegionNames() {
        return regions.stream().filter(r -> !r.witness()).map(RegionConfig::name).toList();
    }

    /**
     * The keyspaces with one writer per key at a time (primary, home-region, event-log): the only
     * ones whose writes a failover fences, and reverts as lost in the region it failed over.
     */
    public java.util.Set<String> singleOwnerKeyspaces() {
        return keyspaces.stream().filter(k -> io.meridian.core.KeyspaceRules.of(k.policy()).singleOwner())
                .map(KeyspaceConfig::name).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    public List<String> witnessNames() {
        return regions.stream().filter(RegionConfig::witness).map(RegionConfig::name).toList();
    }

    /**
     * True when regions fail over: more than one region, every one with a consensus address (the
     * control plane is a Raft group across them), and some keyspace replicating.
     */
    public boolean controlPlane() {
        return regions.size() > 1 && regions.stream().allMatch(r -> r.consensus().isPresent())
                && keyspaces.stream().anyMatch(k -> !(k.policy() instanceof io.meridian.core.Policy.Local));
    }

    /**
     * The order in which data regions take over a failed region's keys in {@code k}: as configured,
     * else the primary first (primary keyspaces) and then every data region in configuration order.
     */
    public List<String> failoverOrder(KeyspaceConfig k) {
        if (!k.failoverOrder().isEmpty()) {
            return k.failoverOrder();
        }
        java.util.List<String> order = new java.util.ArrayList<>();
        if (k.policy() instanceof io.meridian.core.Policy.Primary p) {
            order.add(p.primaryRegion());
        }
        dataRegionNames().stream().filter(r -> !order.contains(r)).forEach(order::add);
        return order;
    }

    /** The HTTP address {@code from} dials to reach {@code to}: a configured link, else {@code to}'s own. */
    public HostPort addressFor(String from, String to) {
        return link(from, to).map(LinkConfig::via).orElseGet(() -> region(to).orElseThrow().http());
    }

    /** The replication address {@code from} dials to reach {@code to}, if {@code to} serves replication. */
    public Optional<HostPort> replicationAddressFor(String from, String to) {
        return link(from, to).flatMap(LinkConfig::replicationVia).or(() -> region(to).orElseThrow().replication());
    }

    /** The consensus address {@code from} dials to reach {@code to} (itself: its own), if {@code to} serves consensus. */
    public Optional<HostPort> consensusAddressFor(String from, String to) {
        if (from.equals(to)) {
            return region(to).orElseThrow().consensus();
        }
        return link(from, to).flatMap(LinkConfig::consensusVia).or(() -> region(to).orElseThrow().consensus());
    }

    private Optional<LinkConfig> link(String from, String to) {
        return links.stream().filter(l -> l.from().equals(from) && l.to().equals(to)).findFirst();
    }
}
