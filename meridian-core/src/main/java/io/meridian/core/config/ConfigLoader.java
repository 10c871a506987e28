package io.meridian.core.config;

import io.meridian.core.KeyspaceRules;
import io.meridian.core.Policy;
import io.meridian.core.config.YamlTree.Field;
import io.meridian.core.config.YamlTree.Location;
import io.meridian.core.config.YamlTree.Mapping;
import io.meridian.core.config.YamlTree.Scalar;
import io.meridian.core.config.YamlTree.Sequence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import io.meridian.core.failover.FailoverSettings;

/**
 * Reads a deployment's YAML into a validated {@link MeridianConfig}. Every policy of DESIGN.md
 * section 2 is parsed and checked here, whether or not the node can run it yet (the node
 * decides that). All errors are collected and reported together, each with file, line,
 * column and field path. The file format is documented in {@code docs/configuration.md}.
 */
public final class ConfigLoader {
    private static final Pattern REGION_NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final Pattern KEYSPACE_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
    private static final Pattern CLASS_NAME = Pattern.compile("([A-Za-z_$][A-Za-z0-9_$]*\\.)+[A-Za-z_$][A-Za-z0-9_$]*");

    private static final Set<String> KEYSPACE_COMMON = Set.of("name", "policy", "residency", "max-value-bytes", "rpo-budget",
            "on-budget-exceeded", "outside-residency");
    /** {@code rpo-budget}: 0, or a whole number of milliseconds or seconds ({@code 250ms}, {@code 2s}). */
    private static final Pattern DURATION = Pattern.compile("(0|[0-9]+(ms|s))");
    private static final long RPO_BUDGET_MAX_MILLIS = 3_600_000;
    private static final Map<String, Set<String>> POLICY_OPTIONS = Map.of(
            "local", Set.of(),
            "strong", Set.of("sync", "leader-preference"),
            "primary", Set.of("primary", "failover-order"),
            "home-region", Set.of("failover-order"),
            "multi-master", Set.of("resolver"),
            "crdt", Set.of("type"),
            "event-log", Set.of("projections", "failover-order"));

    private final String source;
    private final List<String> errors = new ArrayList<>();

    private ConfigLoader(String source) {
        this.source = source;
    }

    /**
     * Parses configuration text.
     *
     * @param source what to call the text in errors, usually its file name
     * @throws ConfigException listing every problem found
     */
    public static MeridianConfig parse(String source, String text) {
        ConfigLoader loader = new ConfigLoader(source);
        MeridianConfig config = loader.document(text);
        if (!loader.errors.isEmpty()) {
            throw new ConfigException(source, loader.errors);
        }
        return config;
    }

    private MeridianConfig document(String text) {
        YamlTree tree;
        try {
            tree = YamlTree.parse(text);
        } catch (YamlTree.SyntaxException e) {
            errors.add(source + ":" + e.at + ": not valid YAML: " + e.getMessage());
            return null;
        }
        if (!(tree instanceof Mapping root)) {
            error(tree.at(), "(top level)", "expected a mapping with 'regions' and 'keyspaces'");
            return null;
        }
        Obj top = new Obj(root, "");
        List<RegionConfig> regions = regions(top);
        Set<String> regionNames = new HashSet<>();
        regions.forEach(r -> regionNames.add(r.name()));
        List<LinkConfig> links = links(top, regionNames);
        List<KeyspaceConfig> keyspaces = keyspaces(top, regionNames);
        MeridianConfig.Probe probe = probe(top);
        MeridianConfig.Replication replication = replication(top);
        FailoverSettings failover = failover(top);
        Optional<WanConfig> wan = top.has("wan") ? Optional.ofNullable(wan(top.object("wan"), regionNames)) : Optional.empty();
        MeridianConfig.Canaries canaries = canaries(top);
        MeridianConfig.Tracing tracing = tracing(top);
        CostConfig cost = cost(top, regionNames);
        Optional<MeridianConfig.Tls> tls = tls(top);
        MeridianConfig.Auth auth = auth(top);
        top.finish(Set.of("regions", "links", "keyspaces", "probe", "replication", "failover", "wan", "canary", "tracing", "cost",
                "tls", "auth"));
        requireReplicationAddresses(top, regions, keyspaces);
        witnessesHoldNoData(top, regions, keyspaces);
        MeridianConfig config = new MeridianConfig(regions, links, keyspaces, probe, replication, failover, wan, canaries, tracing,
                cost, tls, auth);
        authNeeds(top, config);
        return config;
    }

    private List<RegionConfig> regions(Obj top) {
        List<RegionConfig> regions = new ArrayList<>();
        List<Obj> items = top.objects("regions", true);
        if (top.has("regions") && items.isEmpty() && errors.isEmpty()) {
            error(top.at("regions"), "regions", "no regions; expected at least one");
        }
        Set<String> seen = new HashSet<>();
        Set<HostPort> addresses = new HashSet<>();
        for (Obj r : items) {
            String name = r.name(REGION_NAME, "a region name: lower-case letters, digits and '-', starting with a letter");
            HostPort http = r.address("http", true);
            HostPort replication = r.address("replication", false);
            HostPort consensus = r.address("consensus", false);
            String location = r.string("location", false);
            String role = r.choice("role", List.of("data", "witness"), false);
            r.finish(Set.of("name", "http", "replication", "consensus", "location", "role"));
            if ("witness".equals(role) && consensus == null && name != null) {
                error(r.at("role"), r.path + ".consensus", "missing: witness '" + name
                        + "' votes in the control plane and needs a consensus address (host:port)");
            }
            if (name == null || http == null) {
                continue;
            }
            if (!seen.add(name)) {
                error(r.at("name"), r.path + ".name", "region '" + name + "' is defined twice");
            }
            if (http.port() != 0 && !addresses.add(http)) {
                error(r.at("http"), r.path + ".http", "address " + http + " is used by another region");
            }
            if (replication != null && replication.port() != 0 && !addresses.add(replication)) {
                error(r.at("replication"), r.path + ".replication", "address " + replication + " is already used");
            }
            if (consensus != null && consensus.port() != 0 && !addresses.add(consensus)) {
                error(r.at("consensus"), r.path + ".consensus", "address " + consensus + " is already used");
            }
            regions.add(new RegionConfig(name, http, Optional.ofNullable(replication), Optional.ofNullable(consensus), location,
                    "witness".equals(role)));
        }
        return regions;
    }

    private List<LinkConfig> links(Obj top, Set<String> regionNames) {
        List<LinkConfig> links = new ArrayList<>();
        Set<String> pairs = new HashSet<>();
        for (Obj l : top.objects("links", false)) {
            String from = l.region("from", regionNames);
            String to = l.region("to", regionNames);
            HostPort via = l.address("via", true);
            HostPort replicationVia = l.address("replication-via", false);
            HostPort consensusVia = l.address("consensus-via", false);
            l.finish(Set.of("from", "to", "via", "replication-via", "consensus-via"));
            if (from == null || to == null || via == null) {
                continue;
            }
            if (from.equals(to)) {
                error(l.at("to"), l.path + ".to", "a link joins two different regions; both ends are '" + from + "'");
            } else if (!pairs.add(from + "->" + to)) {
                error(l.at("from"), l.path, "a second link from '" + from + "' to '" + to + "'");
            } else {
                links.add(new LinkConfig(from, to, via, Optional.ofNullable(replicationVia), Optional.ofNullable(consensusVia)));
            }
        }
        return links;
    }

    private List<KeyspaceConfig> keyspaces(Obj top, Set<String> regionNames) {
        List<KeyspaceConfig> keyspaces = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Obj k : top.objects("keyspaces", true)) {
            String name = k.name(KEYSPACE_NAME,
                    "a keyspace name: lower-case letters, digits, '-' and '_', starting with a letter");
            String policyName = k.choice("policy", Policy.NAMES, true);
            List<String> residency = k.regions("residency", regionNames);
            long maxValueBytes = k.longValue("max-value-bytes", MeridianConfig.DEFAULT_MAX_VALUE_BYTES,
                    1, MeridianConfig.MAX_MAX_VALUE_BYTES);
            Policy policy = policyName == null ? null : policy(k, policyName, regionNames, residency);
            boolean autoOrder = "auto".equals(k.scalarOrNull("failover-order"));
            List<String> failoverOrder = autoOrder ? List.of() : k.regions("failover-order", regionNames);
            java.util.Optional<RpoBudget> rpoBudget = rpoBudget(k, policy, residency, regionNames);
            String outside = k.choice("outside-residency", List.of("refuse", "redirect"), false);
            if (outside != null && residency.isEmpty()) {
                error(k.at("outside-residency"), k.path + ".outside-residency",
                        "'outside-residency' says what a region outside the keyspace's residency does with its requests;"
                                + " this keyspace has no residency");
            }
            Set<String> allowed = new HashSet<>(KEYSPACE_COMMON);
            if (policyName != null) {
                allowed.addAll(POLICY_OPTIONS.get(policyName));
                misplacedOptions(k, policyName);
            }
            k.finish(allowed);
            if (name != null && !seen.add(name)) {
                error(k.at("name"), k.path + ".name", "keyspace '" + name + "' is defined twice");
            } else if (name != null && policy != null) {
                keyspaces.add(new KeyspaceConfig(name, policy, residency, maxValueBytes, failoverOrder, rpoBudget, autoOrder,
                        "redirect".equals(outside)));
            }
        }
        return keyspaces;
    }

    /**
     * {@code rpo-budget} and {@code on-budget-exceeded}: only for keyspaces replicated
     * asynchronously (strong ones answer once a majority holds a write; local ones never
     * replicate), and only where another region can hold the writes.
     */
    private java.util.Optional<RpoBudget> rpoBudget(Obj k, Policy policy, List<String> residency, Set<String> regionNames) {
        String text = k.string("rpo-budget", false);
        String mode = k.choice("on-budget-exceeded", List.of("wait", "refuse"), false);
        if (text == null) {
            if (mode != null) {
                error(k.at("on-budget-exceeded"), k.path + ".on-budget-exceeded", "needs an rpo-budget (e.g. rpo-budget: 250ms)");
            }
            return java.util.Optional.empty();
        }
        if (!DURATION.matcher(text).matches()) {
            error(k.at("rpo-budget"), k.path + ".rpo-budget", "'" + text
                    + "' is not a budget; expected 0 or a whole number of ms or s, e.g. 250ms or 2s");
            return java.util.Optional.empty();
        }
        long millis = text.equals("0") ? 0 : text.endsWith("ms") ? Long.parseLong(text.substring(0, text.length() - 2))
                : Long.parseLong(text.substring(0, text.length() - 1)) * 1000;
        if (millis > RPO_BUDGET_MAX_MILLIS) {
            error(k.at("rpo-budget"), k.path + ".rpo-budget", "'" + text + "' is more than an hour");
            return java.util.Optional.empty();
        }
        if (policy != null && !KeyspaceRules.of(policy).asynchronous()) {
            error(k.at("rpo-budget"), k.path + ".rpo-budget", "applies to keyspaces replicated asynchronously (primary,"
                    + " home-region, multi-master, crdt, event-log), not to " + policy.name()
                    + (KeyspaceRules.of(policy).consensus() ? ": a strong keyspace answers a write once a majority of regions holds it"
                    : ": a local keyspace is never replicated"));
            return java.util.Optional.empty();
        }
        if (residency.size() == 1 || regionNames.size() < 2) {
            error(k.at("rpo-budget"), k.path + ".rpo-budget", "needs a second region to hold the writes, and this keyspace's data"
                    + " lives in " + (residency.size() == 1 ? "only " + residency.getFirst() : "one region"));
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new RpoBudget(Duration.ofMillis(millis),
                "refuse".equals(mode) ? RpoBudget.OnExceeded.REFUSE : RpoBudget.OnExceeded.WAIT));
    }

    private void misplacedOptions(Obj k, String policyName) {
        POLICY_OPTIONS.forEach((other, options) -> {
            for (String option : options) {
                if (!other.equals(policyName) && k.has(option) && !POLICY_OPTIONS.get(policyName).contains(option)) {
                    error(k.at(option), k.path + "." + option,
                            "'" + option + "' applies to policy " + other + ", not to " + policyName);
                    k.used.add(option);
                }
            }
        });
    }

    private Policy policy(Obj k, String policyName, Set<String> regionNames, List<String> residency) {
        return switch (policyName) {
            case "local" -> new Policy.Local();
            case "strong" -> strong(k, regionNames, residency);
            case "primary" -> {
                String primary = k.region("primary", regionNames);
                if (primary != null && !residency.isEmpty() && !residency.contains(primary)) {
                    error(k.at("primary"), k.path + ".primary", "primary region '" + primary
                            + "' is outside the keyspace's residency " + residency);
                }
                yield primary == null ? null : new Policy.Primary(primary);
            }
            case "home-region" -> new Policy.HomeRegion();
            case "multi-master" -> {
                String resolver = k.string("resolver", false);
                if (resolver == null) {
                    resolver = Policy.MultiMaster.LWW;
                } else if (!resolver.equals(Policy.MultiMaster.LWW) && !CLASS_NAME.matcher(resolver).matches()) {
                    error(k.at("resolver"), k.path + ".resolver", "'" + resolver
                            + "' is not a resolver; expected 'lww' or a fully qualified class name");
                }
                yield new Policy.MultiMaster(resolver);
            }
            case "crdt" -> {
                String type = k.string("type", true);
                if (type == null) {
                    yield null;
                }
                try {
                    yield new Policy.Crdt(io.meridian.core.crdt.CrdtType.parse(type));
                } catch (IllegalArgumentException e) {
                    error(k.at("type"), k.path + ".type", e.getMessage());
                    yield null;
                }
            }
            case "event-log" -> new Policy.EventLog(projections(k));
            default -> throw new IllegalStateException("policy '" + policyName + "' is listed but not parsed");
        };
    }

    /** An event-log keyspace's {@code projections: [{name, type: merge} | {name, class: com.example.P}]}. */
    private List<Policy.ProjectionSpec> projections(Obj k) {
        List<Policy.ProjectionSpec> specs = new ArrayList<>();
        for (Obj p : k.objects("projections", false)) {
            String name = p.name(KEYSPACE_NAME, "a projection name: lower-case letters, digits, '-' and '_', starting with a letter");
            String type = p.choice("type", List.of(io.meridian.core.events.MergeProjection.NAME), false);
            String className = p.string("class", false);
            if (className != null && !CLASS_NAME.matcher(className).matches()) {
                error(p.at("class"), p.path + ".class", "'" + className + "' is not a fully qualified class name");
            }
            if ((type == null) == (className == null)) {
                error(p.at("name"), p.path, "a projection has either 'type: merge' or 'class: <a Projection class>', not "
                        + (type == null ? "neither" : "both"));
            }
            p.finish(Set.of("name", "type", "class"));
            if (name != null && !projectionNames.add(name)) {
                error(p.at("name"), p.path + ".name", "projection '" + name + "' is defined twice");
            } else if (name != null) {
                specs.add(new Policy.ProjectionSpec(name, className != null ? className : io.meridian.core.events.MergeProjection.NAME));
            }
        }
        return specs;
    }

    private final Set<String> projectionNames = new HashSet<>();

    private Policy strong(Obj k, Set<String> regionNames, List<String> residency) {
        String sync = k.choice("sync", List.of("quorum", "all"), false);
        List<String> preference = k.regions("leader-preference", regionNames);
        for (String region : preference) {
            if (!residency.isEmpty() && !residency.contains(region)) {
                error(k.at("leader-preference"), k.path + ".leader-preference", "region '" + region
                        + "' is outside the keyspace's residency " + residency);
            }
        }
        Policy.SyncMode mode = sync == null ? Policy.SyncMode.QUORUM : Policy.SyncMode.valueOf(sync.toUpperCase(Locale.ROOT));
        return new Policy.Strong(mode, preference);
    }

    private MeridianConfig.Replication replication(Obj top) {
        MeridianConfig.Replication d = MeridianConfig.Replication.DEFAULT;
        Obj r = top.has("replication") ? top.object("replication") : null;
        if (r == null) {
            return d;
        }
        long wait = r.longValue("session-wait-ms", d.sessionWait().toMillis(), 0, 60_000);
        long heartbeat = r.longValue("heartbeat-ms", d.heartbeat().toMillis(), 10, 10_000);
        long retained = r.longValue("retained-log-entries", d.retainedEntries(), 1_000, 1_000_000_000_000L);
        String compression = r.choice("compression", List.of("deflate", "none"), false);
        long idempotencyTtl = r.longValue("idempotency-ttl-ms", d.idempotencyTtl().toMillis(), 1_000, 30L * 24 * 3600 * 1000);
        long linger = r.longValue("linger-ms", d.linger().toMillis(), 0, 1_000);
        r.finish(Set.of("session-wait-ms", "heartbeat-ms", "retained-log-entries", "compression", "idempotency-ttl-ms", "linger-ms"));
        return new MeridianConfig.Replication(Duration.ofMillis(wait), Duration.ofMillis(heartbeat), retained,
                compression == null ? d.compression()
                        : io.meridian.core.replication.StreamCodec.Compression.valueOf(compression.toUpperCase(Locale.ROOT)),
                Duration.ofMillis(idempotencyTtl), Duration.ofMillis(linger));
    }

    /**
     * Keyspaces that replicate asynchronously need every region to serve replication; strong
     * keyspaces need every region to serve consensus (even alone: a Raft group of one).
     */
    private void requireReplicationAddresses(Obj top, List<RegionConfig> regions, List<KeyspaceConfig> keyspaces) {
        boolean replicated = keyspaces.stream().anyMatch(k -> io.meridian.core.KeyspaceRules.of(k.policy()).asynchronous());
        boolean strong = keyspaces.stream().anyMatch(k -> io.meridian.core.KeyspaceRules.of(k.policy()).consensus());
        for (RegionConfig r : regions) {
            if (replicated && regions.size() > 1 && r.replication().isEmpty() && !r.witness()) {
                error(top.at("regions"), "regions[" + regions.indexOf(r) + "].replication", "missing: region '" + r.name()
                        + "' needs a replication address (host:port) because keyspaces replicate between regions");
            }
            if (strong && r.consensus().isEmpty()) {
                error(top.at("regions"), "regions[" + regions.indexOf(r) + "].consensus", "missing: region '" + r.name()
                        + "' needs a consensus address (host:port) because strong keyspaces are configured");
            }
        }
    }

    private FailoverSettings failover(Obj top) {
        FailoverSettings d = FailoverSettings.DEFAULT;
        Obj f = top.has("failover") ? top.object("failover") : null;
        if (f == null) {
            return d;
        }
        String policy = f.choice("policy", List.of("auto", "manual", "hybrid"), false);
        long heartbeat = f.longValue("heartbeat-ms", d.heartbeat().toMillis(), 10, 60_000);
        double phi = f.doubleValue("phi-threshold", d.phiThreshold(), 1, 100);
        long pause = f.longValue("acceptable-pause-ms", d.acceptablePause().toMillis(), 0, 600_000);
        long lease = f.longValue("lease-ms", d.lease().toMillis(), 100, 600_000);
        long renew = f.longValue("renew-every-ms", Math.min(d.renewEvery().toMillis(), lease / 2), 10, 300_000);
        // At most 4 s: a suspicion refreshed less often than the 5 s an ongoing one is judged over would count as new onsets.
        long report = f.longValue("report-every-ms", d.reportEvery().toMillis(), 10, 4_000);
        long onsets = f.longValue("flapping-onsets", d.flapOnsets(), 2, 1_000);
        long window = f.longValue("flapping-window-ms", d.flapWindow().toMillis(), 1_000, 86_400_000);
        String failback = f.choice("failback", List.of("manual", "auto"), false);
        f.finish(Set.of("policy", "heartbeat-ms", "phi-threshold", "acceptable-pause-ms", "lease-ms", "renew-every-ms",
                "report-every-ms", "flapping-onsets", "flapping-window-ms", "failback"));
        if (renew * 2 > lease) {
            error(f.at("renew-every-ms"), "failover.renew-every-ms", renew + " ms is more than half the lease ("
                    + lease + " ms): a lease could lapse between two renewals");
            renew = lease / 2;
        }
        return new FailoverSettings(policy == null ? d.policy() : FailoverSettings.Policy.valueOf(policy.toUpperCase(Locale.ROOT)),
                Duration.ofMillis(heartbeat), phi, Duration.ofMillis(pause), Duration.ofMillis(lease), Duration.ofMillis(renew),
                Duration.ofMillis(report), (int) onsets, Duration.ofMillis(window), "auto".equals(failback));
    }

    /** Witnesses vote and watch; they hold no data, so no keyspace may name one as a place for data. */
    private void witnessesHoldNoData(Obj top, List<RegionConfig> regions, List<KeyspaceConfig> keyspaces) {
        Set<String> witnesses = new HashSet<>();
        regions.stream().filter(RegionConfig::witness).forEach(r -> witnesses.add(r.name()));
        if (!witnesses.isEmpty() && regions.size() - witnesses.size() < 1) {
            error(top.at("regions"), "regions", "every region is a witness; at least one must hold data");
        }
        for (int i = 0; i < keyspaces.size(); i++) {
            KeyspaceConfig k = keyspaces.get(i);
            List<String> named = new ArrayList<>(k.residency());
            named.addAll(k.failoverOrder());
            named.addAll(io.meridian.core.KeyspaceRules.of(k.policy()).namedRegions());
            for (String region : named) {
                if (witnesses.contains(region)) {
                    error(top.at("keyspaces"), "keyspaces[" + i + "]", "keyspace '" + k.name() + "' names witness region '"
                            + region + "', which holds no data");
                }
            }
            if (!k.failoverOrder().isEmpty()) {
                Set<String> listed = new HashSet<>(k.failoverOrder());
                List<String> missing = regions.stream().filter(r -> !r.witness() && !listed.contains(r.name()))
                        .map(RegionConfig::name).toList();
                if (listed.size() != k.failoverOrder().size() || !missing.isEmpty()) {
                    error(top.at("keyspaces"), "keyspaces[" + i + "].failover-order", "must list every data region once"
                            + (missing.isEmpty() ? "" : "; missing " + missing));
                }
            }
        }
    }

    private CostConfig cost(Obj top, Set<String> regionNames) {
        Obj c = top.has("cost") ? top.object("cost") : null;
        if (c == null) {
            return CostConfig.DEFAULT;
        }
        String currency = c.has("currency") ? c.string("currency", false) : CostConfig.DEFAULT.currency();
        double fallback = c.doubleValue("default-per-gb", CostConfig.DEFAULT.defaultPerGb(), 0.0, 1_000.0);
        List<CostConfig.Price> prices = new ArrayList<>();
        java.util.Set<String> seen = new HashSet<>();
        for (Obj p : c.objects("prices", false)) {
            String from = p.region("from", regionNames);
            String to = p.has("to") ? p.region("to", regionNames) : null;
            if (!p.has("per-gb")) {
                error(p.mapping.at(), p.path, "expected per-gb: the price of a GB sent, e.g. per-gb: 0.02");
            }
            double perGb = p.doubleValue("per-gb", -1, 0.0, 1_000.0);
            p.finish(Set.of("from", "to", "per-gb"));
            if (perGb < 0) {
                continue;
            }
            if (from != null && !seen.add(from + ">" + (to == null ? "*" : to))) {
                error(p.at("from"), p.child("from"), "a price for " + from + (to == null ? "" : " to " + to) + " is listed twice");
            }
            if (from != null && from.equals(to)) {
                error(p.at("to"), p.child("to"), "bytes within " + from + " do not cross between regions: no price");
            }
            if (from != null && (!p.has("to") || to != null)) {
                prices.add(new CostConfig.Price(from, Optional.ofNullable(to), perGb));
            }
        }
        c.finish(Set.of("currency", "default-per-gb", "prices"));
        if (currency == null || currency.isBlank()) {
            error(c.at("currency"), "cost.currency", "expected a currency name, e.g. USD");
            currency = CostConfig.DEFAULT.currency();
        }
        return new CostConfig(currency, fallback, prices);
    }

    private Optional<MeridianConfig.Tls> tls(Obj top) {
        Obj t = top.has("tls") ? top.object("tls") : null;
        if (t == null) {
            return Optional.empty();
        }
        String dir = t.string("dir", true);
        t.finish(Set.of("dir"));
        if (dir == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new MeridianConfig.Tls(java.nio.file.Path.of(dir)));
        } catch (java.nio.file.InvalidPathException e) {
            error(t.at("dir"), "tls.dir", "'" + dir + "' is not a path: " + e.getReason());
            return Optional.empty();
        }
    }

    /**
     * {@code auth: {tokens: required|off, admins: [client names]}}. Tokens need TLS (a bearer token
     * sent in the clear is anyone's who sees it) and the control plane (where every region learns them).
     */
    private MeridianConfig.Auth auth(Obj top) {
        Obj a = top.has("auth") ? top.object("auth") : null;
        if (a == null) {
            return MeridianConfig.Auth.OFF;
        }
        String tokens = a.choice("tokens", List.of("required", "off"), false);
        List<String> admins = a.names("admins", REGION_NAME, "a client name (as in meridian certs client NAME)");
        a.finish(Set.of("tokens", "admins"));
        return new MeridianConfig.Auth("required".equals(tokens), admins);
    }

    private void authNeeds(Obj top, MeridianConfig config) {
        if (config.auth().equals(MeridianConfig.Auth.OFF)) {
            return; // also when auth: was not a mapping (already reported)
        }
        Obj a = top.object("auth");
        boolean tls = config.tls().isPresent();
        boolean required = config.auth().tokensRequired();
        if (required && !tls) {
            error(a.at("tokens"), "auth.tokens", "tokens need TLS: a bearer token sent over plain HTTP is anyone's who sees"
                    + " the traffic; add tls: {dir: certs} (see docs/security.md)");
        }
        if (required && !config.controlPlane()) {
            error(a.at("tokens"), "auth.tokens", "tokens live in the control plane, which this deployment does not have:"
                    + " it needs more than one region, each with a consensus address, and a keyspace that is not local");
        }
        if (!config.auth().admins().isEmpty() && !tls) {
            error(a.at("admins"), "auth.admins", "administrators are known by their client certificates: add tls: {dir: certs}");
        }
    }

    private MeridianConfig.Tracing tracing(Obj top) {
        Obj t = top.has("tracing") ? top.object("tracing") : null;
        if (t == null) {
            return MeridianConfig.Tracing.OFF;
        }
        String endpoint = t.string("otlp-endpoint", false);
        double ratio = t.doubleValue("sample-ratio", 1.0, 0.0, 1.0);
        t.finish(Set.of("otlp-endpoint", "sample-ratio"));
        if (endpoint == null) {
            return new MeridianConfig.Tracing(Optional.empty(), ratio);
        }
        try {
            java.net.URI uri = new java.net.URI(endpoint);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return new MeridianConfig.Tracing(Optional.of(uri), ratio);
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        error(t.at("otlp-endpoint"), "tracing.otlp-endpoint", "expected an http(s) URL of an OTLP/HTTP traces endpoint,"
                + " e.g. http://127.0.0.1:4318/v1/traces, got '" + endpoint + "'");
        return MeridianConfig.Tracing.OFF;
    }

    private MeridianConfig.Canaries canaries(Obj top) {
        Obj c = top.has("canary") ? top.object("canary") : null;
        if (c == null) {
            return MeridianConfig.Canaries.DEFAULT;
        }
        long interval = c.longValue("interval-ms", MeridianConfig.Canaries.DEFAULT.interval().toMillis(), 0, 600_000);
        c.finish(Set.of("interval-ms"));
        if (interval > 0 && interval < 100) {
            error(c.at("interval-ms"), "canary.interval-ms", "expected 0 (no canaries) or at least 100, got " + interval);
            return MeridianConfig.Canaries.DEFAULT;
        }
        return new MeridianConfig.Canaries(Duration.ofMillis(interval));
    }

    private MeridianConfig.Probe probe(Obj top) {
        if (!top.has("probe")) {
            return MeridianConfig.Probe.DEFAULT;
        }
        Obj p = top.object("probe");
        if (p == null) {
            return MeridianConfig.Probe.DEFAULT;
        }
        long interval = p.longValue("interval-ms", MeridianConfig.Probe.DEFAULT.interval().toMillis(), 10, 600_000);
        long timeout = p.longValue("timeout-ms", MeridianConfig.Probe.DEFAULT.timeout().toMillis(), 10, 600_000);
        p.finish(Set.of("interval-ms", "timeout-ms"));
        return new MeridianConfig.Probe(Duration.ofMillis(interval), Duration.ofMillis(timeout));
    }

    private WanConfig wan(Obj w, Set<String> regionNames) {
        if (w == null) {
            return null;
        }
        HostPort control = w.address("control", true);
        double scale = w.doubleValue("latency-scale", 1.0, 0.0, 100.0);
        long jitter = w.longValue("jitter-ms", 0, 0, 60_000);
        long bandwidthKbps = w.longValue("bandwidth-kbps", 0, 0, 100_000_000);
        List<WanConfig.Delay> delays = new ArrayList<>();
        for (Obj d : w.objects("delays", false)) {
            List<String> between = d.regions("between", regionNames);
            double oneWay = d.doubleValue("one-way-ms", 0, 0, 60_000);
            d.finish(Set.of("between", "one-way-ms"));
            if (between.size() != 2 || between.get(0).equals(between.get(1))) {
                error(d.at("between"), d.path + ".between", "expected two different regions, got " + between);
            } else {
                delays.add(new WanConfig.Delay(between.get(0), between.get(1), oneWay));
            }
        }
        String capture = w.string("capture-dir", false);
        w.finish(Set.of("control", "latency-scale", "jitter-ms", "bandwidth-kbps", "delays", "capture-dir"));
        return control == null ? null : new WanConfig(control, scale, jitter, bandwidthKbps * 1000 / 8, delays,
                Optional.ofNullable(capture));
    }

    private void error(Location at, String path, String message) {
        errors.add(source + ":" + at + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }

    /** A mapping being read: remembers its path for errors and which fields were consumed. */
    private final class Obj {
        final Mapping mapping;
        final String path;
        final Set<String> used = new HashSet<>();

        Obj(Mapping mapping, String path) {
            this.mapping = mapping;
            this.path = path;
        }

        boolean has(String field) {
            return mapping.fields().containsKey(field);
        }

        /** Where the field's value was written (errors about a value point at it). */
        Location at(String field) {
            Field f = mapping.fields().get(field);
            return f == null ? mapping.at() : f.value().at();
        }

        private String child(String field) {
            return path.isEmpty() ? field : path + "." + field;
        }

        /** The field's scalar text, or null (after an error when it is required or not a scalar). */
        String string(String field, boolean required) {
            used.add(field);
            Field f = mapping.fields().get(field);
            if (f == null || f.value() instanceof YamlTree.Null) {
                if (required) {
                    error(mapping.at(), child(field), "missing; this field is required");
                }
                return null;
            }
            if (f.value() instanceof Scalar s) {
                return s.text();
            }
            error(f.value().at(), child(field), "expected a single value, found a " + kind(f.value()));
            return null;
        }

        /** The field's text when it is a scalar, else null (nothing reported, nothing marked read). */
        String scalarOrNull(String field) {
            Field f = mapping.fields().get(field);
            if (f != null && f.value() instanceof Scalar s) {
                used.add(field);
                return s.text();
            }
            return null;
        }

        String name(Pattern pattern, String expected) {
            String name = string("name", true);
            if (name != null && !pattern.matcher(name).matches()) {
                error(at("name"), child("name"), "'" + name + "' is not " + expected);
                return null;
            }
            return name;
        }

        String choice(String field, List<String> choices, boolean required) {
            String value = string(field, required);
            if (value != null && !choices.contains(value)) {
                error(at(field), child(field), "'" + value + "' is not one of " + String.join(", ", choices)
                        + suggestion(value, choices));
                return null;
            }
            return value;
        }

        String region(String field, Set<String> regionNames) {
            String value = string(field, true);
            if (value != null && !regionNames.contains(value)) {
                error(at(field), child(field), "region '" + value + "' is not defined; " + defined(regionNames)
                        + suggestion(value, regionNames));
                return null;
            }
            return value;
        }

        List<String> regions(String field, Set<String> regionNames) {
            return distinct(field, "a list of regions", "a region name", "region ",
                    name -> regionNames.contains(name) ? null : "region '" + name + "' is not defined; " + defined(regionNames));
        }

        /** A list of distinct names of the form {@code form}. */
        List<String> names(String field, Pattern form, String what) {
            return distinct(field, "a list", what, "", name -> form.matcher(name).matches() ? null : "expected " + what + ", found '" + name + "'");
        }

        /**
         * A list of distinct scalars, each reported once when {@code refusal} says why it is not
         * acceptable (null: it is) or when it is listed twice ({@code label} before its name).
         */
        private List<String> distinct(String field, String listWhat, String itemWhat, String label,
                                      java.util.function.Function<String, String> refusal) {
            used.add(field);
            Field f = mapping.fields().get(field);
            if (f == null) {
                return List.of();
            }
            if (!(f.value() instanceof Sequence seq)) {
                error(f.value().at(), child(field), "expected " + listWhat + ", found a " + kind(f.value()));
                return List.of();
            }
            List<String> result = new ArrayList<>();
            for (YamlTree item : seq.items()) {
                if (!(item instanceof Scalar s)) {
                    error(item.at(), child(field), "expected " + itemWhat + ", found a " + kind(item));
                } else if (refusal.apply(s.text()) != null) {
                    error(item.at(), child(field), refusal.apply(s.text()));
                } else if (result.contains(s.text())) {
                    error(item.at(), child(field), label + "'" + s.text() + "' is listed twice");
                } else {
                    result.add(s.text());
                }
            }
            return result;
        }

        HostPort address(String field, boolean required) {
            String value = string(field, required);
            if (value == null) {
                return null;
            }
            HostPort address = HostPort.parseOrNull(value);
            if (address == null) {
                error(at(field), child(field), "'" + value + "' is not an address; expected host:port, e.g. 127.0.0.1:7001");
            }
            return address;
        }

        long longValue(String field, long fallback, long min, long max) {
            String value = string(field, false);
            if (value == null) {
                return fallback;
            }
            try {
                long n = Long.parseLong(value.replace("_", ""));
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            error(at(field), child(field), "'" + value + "' is not a whole number from " + min + " to " + max);
            return fallback;
        }

        double doubleValue(String field, double fallback, double min, double max) {
            String value = string(field, false);
            if (value == null) {
                return fallback;
            }
            try {
                double n = Double.parseDouble(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            error(at(field), child(field), "'" + value + "' is not a number from " + min + " to " + max);
            return fallback;
        }

        Obj object(String field) {
            used.add(field);
            Field f = mapping.fields().get(field);
            if (f != null && f.value() instanceof Mapping m) {
                return new Obj(m, child(field));
            }
            if (f != null) {
                error(f.value().at(), child(field), "expected a mapping, found a " + kind(f.value()));
            }
            return null;
        }

        List<Obj> objects(String field, boolean required) {
            used.add(field);
            Field f = mapping.fields().get(field);
            if (f == null) {
                if (required) {
                    error(mapping.at(), child(field), "missing; this field is required");
                }
                return List.of();
            }
            if (!(f.value() instanceof Sequence seq)) {
                error(f.value().at(), child(field), "expected a list, found a " + kind(f.value()));
                return List.of();
            }
            List<Obj> result = new ArrayList<>();
            for (int i = 0; i < seq.items().size(); i++) {
                YamlTree item = seq.items().get(i);
                String itemPath = child(field) + "[" + i + "]";
                if (item instanceof Mapping m) {
                    result.add(new Obj(m, itemPath));
                } else {
                    error(item.at(), itemPath, "expected a mapping, found a " + kind(item));
                }
            }
            return result;
        }

        /** Reports fields nobody read: a typo must not silently become a default. */
        void finish(Set<String> allowed) {
            for (Field f : mapping.fields().values()) {
                if (!allowed.contains(f.name()) && !used.contains(f.name())) {
                    String hint = allowed.stream().filter(a -> close(a, f.name())).findFirst()
                            .map(a -> "; did you mean '" + a + "'?")
                            .orElse("; expected one of: " + String.join(", ", allowed.stream().sorted().toList()));
                    error(f.at(), child(f.name()), "unknown field" + hint);
                }
            }
        }
    }

    private static String defined(Set<String> regionNames) {
        return regionNames.isEmpty() ? "no valid region is defined"
                : "defined regions: " + String.join(", ", regionNames.stream().sorted().toList());
    }

    private static String kind(YamlTree node) {
        return switch (node) {
            case Mapping m -> "mapping";
            case Sequence s -> "list";
            case Scalar s -> "single value";
            case YamlTree.Null n -> "null";
        };
    }

    /** True when two names differ by at most two edits: enough to catch most typos. */
    /** {@code "; did you mean 'x'?"} when one of {@code choices} is close to {@code value}, else nothing. */
    private static String suggestion(String value, java.util.Collection<String> choices) {
        String folded = fold(value);
        return choices.stream().filter(c -> fold(c).equals(folded) || close(c, value)).sorted().findFirst()
                .map(c -> "; did you mean '" + c + "'?").orElse("");
    }

    /** Case, hyphens and underscores folded away: {@code MultiMaster}, {@code multi_master} and {@code multi-master} match. */
    private static String fold(String s) {
        return s.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    private static boolean close(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()] <= 2;
    }
}
