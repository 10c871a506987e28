package io.meridian.node;

import io.meridian.core.Consistency;
import io.meridian.core.Headers;
import io.meridian.core.Keys;
import io.meridian.core.MeridianException;
import io.meridian.core.Policy;
import io.meridian.core.Preconditions;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.Conflict;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.SessionToken;
import io.meridian.storage.ReplicatedStore;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key-value API of the asynchronously replicated policies ({@code primary},
 * {@code home-region}, {@code multi-master}).
 *
 * <p><b>Writes</b> run in the region allowed to make them (the primary, the key's home, or
 * here for multi-master) and are forwarded there otherwise. Each answer carries the write's
 * version ({@code origin:seq}) and the session token extended with it.
 *
 * <p><b>Reads</b> honour {@code Meridian-Consistency}: {@code eventual} answers here;
 * {@code session} (the default) waits up to {@code replication.session-wait-ms} for this region
 * to hold the token's writes, then forwards to a region that has them; {@code bounded=Δ}
 * answers here when this copy is at most Δ stale, else forwards to the region that is
 * authoritative for the key (its primary or home) or, for multi-master data, answers 503.
 * Every read states in {@code Meridian-Staleness-Ms} how stale its answer may be.
 */
final class ReplicatedKvApi {
    private final String region;
    private final MeridianConfig config;
    private final ReplicationEngine engine;
    private final Forwarder forwarder;
    private final FailoverAgent failover;

    /** @param failover null when regions do not fail over (one region, or no control plane configured) */
    ReplicatedKvApi(String region, MeridianConfig config, ReplicationEngine engine, Forwarder forwarder, FailoverAgent failover) {
        this.region = region;
        this.config = config;
        this.engine = engine;
        this.forwarder = forwarder;
        this.failover = failover;
    }

    // ---- reads ----

    void get(Exchange ex, KeyspaceConfig keyspace, String key) throws InterruptedException {
        Keys.validate(key);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        SessionToken token = token(ex);
        Preconditions conditions = KvApi.preconditions(ex);
        if (!awaitSession(ex, consistency, token)) {
            return;
        }
        Optional<Entry> current = engine.current(keyspace.name(), key);
        Set<String> origins = originsFor(keyspace, current);
        Optional<Long> staleness = engine.stalenessMillis(origins);
        if (!withinBound(ex, keyspace, consistency, staleness, current, null)) {
            return;
        }
        readHeaders(ex, staleness, token);
        Entry e = current.filter(c -> !c.isTombstone()).orElseThrow(() -> KvApi.notFound(keyspace, key));
        ex.header("ETag", Versions.etag(ReplicationEngine.tag(e)));
        ex.header("Last-Modified", KvApi.httpDate(e.hlc().physicalMillis()));
        if (!e.home().isEmpty()) {
            ex.header(Headers.HOME, e.home());
        }
        if (conditions.ifNoneMatch() != null && conditions.ifNoneMatch().matches(ReplicationEngine.tag(e))) {
            ex.sendEmpty(304);
            return;
        }
        ex.send(200, e.contentType(), e.value());
    }

    void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws InterruptedException {
        KvApi.checkScanParameters(query);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        SessionToken token = token(ex);
        if (!awaitSession(ex, consistency, token)) {
            return;
        }
        Optional<Long> staleness = engine.stalenessMillis(originsFor(keyspace, Optional.empty()));
        if (!withinBound(ex, keyspace, consistency, staleness, Optional.empty(), null)) {
            return;
        }
        readHeaders(ex, staleness, token);
        ReplicatedStore.ScanResult page = engine.store().scan(keyspace.name(), query.getOrDefault("prefix", ""),
                Optional.ofNullable(query.get("after")), KvApi.limit(query.get("limit")));
        List<KvApi.ScanItem> items = page.items().stream().map(e -> {
            KvApi.ScanItem item = KvApi.item(e.key(), ReplicationEngine.tag(e), e.contentType(), e.value());
            return item.withHome(e.home());
        }).toList();
        ex.sendJson(200, new KvApi.ScanResult(keyspace.name(), region, items, page.next().orElse(null)));
    }

    /** Waits for the session's writes; forwards when they do not come in time. False when forwarded. */
    private boolean awaitSession(Exchange ex, Consistency consistency, SessionToken token) throws InterruptedException {
        if (token.writes().seqs().isEmpty() || consistency instanceof Consistency.Eventual
                || token.satisfiedBy(engine.watermarks())) {
            return true;
        }
        if (engine.awaitCovered(token, config.replication().sessionWait())) {
            return true;
        }
        String origin = uncoveredOrigin(token);
        forwarder.forward(ex, origin, null, "this region has not yet received the session's writes (waited " + config.replication().sessionWait().toMillis() + " ms for "
                + origin + ")");
        return false;
    }

    /** Waits, up to the session bound, for this region to hold the token's writes. */
    private boolean awaitCovered(SessionToken token) throws InterruptedException {
        return token.satisfiedBy(engine.watermarks()) || engine.awaitCovered(token, config.replication().sessionWait());
    }

    /**
     * Sends a write where it must run: to its writer region when that is not this one (the writer
     * waits for the session itself); for multi-master data this region may write, but if it still
     * lacks the session's writes, the write goes to a region that has them, so that it follows
     * them instead of racing them. False when forwarded.
     */
    private boolean routeWrite(Exchange ex, KeyspaceConfig keyspace, String writer, boolean covered, SessionToken token,
                               byte[] body) {
        if (!writer.equals(region)) {
            forwarder.forward(ex, writer, body, "writes to this key are made in " + writer);
            return false;
        }
        if (!covered && keyspace.policy() instanceof Policy.MultiMaster) {
            String origin = uncoveredOrigin(token);
            forwarder.forward(ex, origin, body, "this region has not yet received the session's writes (waited "
                    + config.replication().sessionWait().toMillis() + " ms for " + origin + ")");
            return false;
        }
        return true;
    }

    private String uncoveredOrigin(SessionToken token) {
        return token.writes().seqs().entrySet().stream()
                .filter(e -> engine.watermarks().get(e.getKey()) < e.getValue())
                .map(Map.Entry::getKey).findFirst().orElseThrow();
    }

    /** Checks a bounded read; forwards it to the authoritative region when this copy is too stale. False when forwarded. */
    private boolean withinBound(Exchange ex, KeyspaceConfig keyspace, Consistency consistency, Optional<Long> staleness,
                                Optional<Entry> current, byte[] body) {
        switch (consistency) {
            case Consistency.Strong s -> throw new MeridianException(ProblemType.WRONG_POLICY,
                    "strong reads need a strong keyspace; '" + keyspace.name() + "' is " + keyspace.policy().name()
                            + ": ask for session, bounded=<ms> or eventual", Map.of("keyspace", keyspace.name()));
            case Consistency.Bounded b -> {
                if (staleness.isPresent() && staleness.get() <= b.maxStalenessMillis()) {
                    return true;
                }
                Optional<String> authority = authority(keyspace, current);
                String why = "this copy may be " + staleness.map(s -> s + " ms").orElse("unboundedly") + " stale, over the "
                        + b.maxStalenessMillis() + " ms asked";
                if (authority.isEmpty() || authority.get().equals(region)) {
                    throw new MeridianException(ProblemType.UNAVAILABLE, why + ", and no region holds every write of '"
                            + keyspace.name() + "' (" + keyspace.policy().name() + "): retry, or relax the bound",
                            Map.of("staleness_ms", staleness.orElse(-1L), "bound_ms", b.maxStalenessMillis()));
                }
                forwarder.forward(ex, authority.get(), body, why);
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    /** The region that originates every write of the key, if there is one. */
    private Optional<String> authority(KeyspaceConfig keyspace, Optional<Entry> current) {
        Optional<String> owner = switch (keyspace.policy()) {
            case Policy.Primary p -> Optional.of(p.primaryRegion());
            case Policy.HomeRegion h -> current.map(Entry::home).filter(home -> !home.isEmpty());
            default -> Optional.empty();
        };
        // After a failover the acting region makes the owner's writes: freshness is measured
        // against it, and a read too stale here goes there, not to the failed owner.
        return failover == null ? owner : owner.map(o -> failover.acting(keyspace, o).orElse(o));
    }

    /** The regions whose writes a read of this key must have seen to be fresh. */
    private Set<String> originsFor(KeyspaceConfig keyspace, Optional<Entry> current) {
        Optional<String> authority = authority(keyspace, current);
        return authority.map(Set::of).orElseGet(() -> new HashSet<>(config.dataRegionNames()));
    }

    private void readHeaders(Exchange ex, Optional<Long> staleness, SessionToken token) {
        ex.header(Headers.STALENESS, staleness.map(String::valueOf).orElse("unbounded"));
        if (!token.writes().seqs().isEmpty()) {
            ex.header(Headers.SESSION, token.format());
        }
    }

    // ---- writes ----

    void put(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException, InterruptedException {
        Keys.validate(key);
        String contentType = KvApi.contentType(ex);
        Preconditions conditions = KvApi.preconditions(ex);
        SessionToken token = token(ex);
        Optional<String> requestedHome = requestedHome(ex, keyspace);
        byte[] body = ex.body(keyspace.maxValueBytes(), keyspace.name());
        boolean covered = awaitCovered(token);
        String home = homeForWrite(keyspace, key, requestedHome);
        if (!routeWrite(ex, keyspace, writer(keyspace, home), covered, token, body)) {
            return;
        }
        Replica.Written w = engine.write(Replica.Write.put(keyspace.name(), key, body, contentType, home), conditions,
                ownerCheck(ex, keyspace, home));
        respondWritten(ex, keyspace, w, token, w.replaced().filter(r -> !r.winner().isTombstone()).isEmpty() ? 201 : 200);
    }

    void delete(Exchange ex, KeyspaceConfig keyspace, String key) throws InterruptedException {
        Keys.validate(key);
        Preconditions conditions = KvApi.preconditions(ex);
        SessionToken token = token(ex);
        boolean covered = awaitCovered(token);
        Optional<Entry> current = engine.current(keyspace.name(), key);
        String home = current.map(Entry::home).orElse("");
        if (!routeWrite(ex, keyspace, writer(keyspace, home.isEmpty() ? region : home), covered, token, null)) {
            return;
        }
        if (current.isEmpty() || current.get().isTombstone()) {
            throw KvApi.notFound(keyspace, key);
        }
        Replica.Written w = engine.write(Replica.Write.delete(keyspace.name(), key, home), conditions,
                ownerCheck(ex, keyspace, home.isEmpty() ? region : home));
        ex.header(Headers.SESSION, token.with(w.entry().stamp()).format());
        ex.sendEmpty(204);
    }

    void moveHome(Exchange ex, KeyspaceConfig keyspace, String key, Map<String, String> query) throws InterruptedException {
        Keys.validate(key);
        if (!(keyspace.policy() instanceof Policy.HomeRegion)) {
            throw new MeridianException(ProblemType.WRONG_POLICY, "keyspace '" + keyspace.name() + "' is "
                    + keyspace.policy().name() + "; only home-region keys have a home to move", Map.of("keyspace", keyspace.name()));
        }
        String to = query.get("to");
        if (to == null || query.size() != 1) {
            throw new MeridianException(ProblemType.INVALID_PARAMETER, "expected exactly ?to=REGION", Map.of("parameter", "to"));
        }
        requireRegion(keyspace, to, "to");
        Preconditions conditions = KvApi.preconditions(ex);
        SessionToken token = token(ex);
        awaitCovered(token);
        Entry current = engine.current(keyspace.name(), key).filter(e -> !e.isTombstone())
                .orElseThrow(() -> KvApi.notFound(keyspace, key));
        String writer = writer(keyspace, current.home());
        if (!writer.equals(region)) {
            forwarder.forward(ex, writer, null, "the key's home is " + current.home()
                    + (writer.equals(current.home()) ? "" : ", written by " + writer + " since a failover"));
            return;
        }
        Replica.Written w = engine.write(new Replica.Write(keyspace.name(), key, current.op(), current.value(),
                current.contentType(), to), conditions, ownerCheck(ex, keyspace, current.home()));
        respondWritten(ex, keyspace, w, token, 200);
    }

    void conflicts(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) {
        for (String name : query.keySet()) {
            if (!List.of("after", "limit").contains(name)) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER,
                        "unknown query parameter '" + name + "'; expected after or limit", Map.of("parameter", name));
            }
        }
        long after = 0;
        if (query.containsKey("after")) {
            try {
                after = Long.parseLong(query.get("after"));
            } catch (NumberFormatException e) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER, "after '" + query.get("after")
                        + "' is not a conflict number", Map.of("parameter", "after"));
            }
        }
        int limit = KvApi.limit(query.get("limit"));
        List<ReplicatedStore.NumberedConflict> page = engine.store().conflicts(keyspace.name(), after, limit + 1);
        List<ConflictView> items = page.stream().limit(limit).map(ConflictView::of).toList();
        Long next = page.size() > limit ? items.getLast().seq() : null;
        ex.sendJson(200, new ConflictFeed(keyspace.name(), region, items, next));
    }

    private void respondWritten(Exchange ex, KeyspaceConfig keyspace, Replica.Written w, SessionToken token, int status) {
        Entry e = w.entry();
        ex.header("ETag", Versions.etag(ReplicationEngine.tag(e)));
        ex.header(Headers.SESSION, token.with(e.stamp()).format());
        if (!e.home().isEmpty()) {
            ex.header(Headers.HOME, e.home());
        }
        ex.sendJson(status, new KvApi.WriteResult(keyspace.name(), e.key(), ReplicationEngine.tag(e), region,
                e.home().isEmpty() ? null : e.home()));
    }

    /** The home a write to this key gives it: its current home, else the one asked for, else here. */
    private String homeForWrite(KeyspaceConfig keyspace, String key, Optional<String> requested) {
        if (!(keyspace.policy() instanceof Policy.HomeRegion)) {
            return "";
        }
        Optional<Entry> current = engine.current(keyspace.name(), key);
        if (current.isPresent()) {
            String home = current.get().home();
            if (requested.isPresent() && !requested.get().equals(home)) {
                throw new MeridianException(ProblemType.HOME_CONFLICT, "key '" + key + "' lives in " + home + ", not "
                        + requested.get() + "; POST /v1/kv/" + keyspace.name() + "/{key}/move-home?to=" + requested.get()
                        + " moves it", Map.of("key", key, "home", home));
            }
            return home;
        }
        return requested.orElse(region);
    }

    /**
     * The region that makes this write: the primary or the key's home, or the region acting for
     * it after a failover; this region for multi-master data.
     */
    private String writer(KeyspaceConfig keyspace, String home) {
        String owner = switch (keyspace.policy()) {
            case Policy.Primary p -> p.primaryRegion();
            case Policy.HomeRegion h -> home;
            default -> null;
        };
        if (owner == null) {
            return region;
        }
        if (failover == null) {
            return owner;
        }
        return failover.acting(keyspace, owner).orElseThrow(() -> new MeridianException(ProblemType.NOT_OWNER,
                "no region may write the keys of " + owner + " in '" + keyspace.name() + "' at epoch " + failover.epoch()
                        + ": a failover or failback is completing; retry", Map.of("home", owner, "epoch", failover.epoch())));
    }

    /**
     * The check a write of an owned key makes under the replica's lock: this region is acting for
     * the key's home, active, with a valid lease; before taking the lock, a forwarded request's
     * epoch is checked and a lease being renewed is waited for.
     */
    private Runnable ownerCheck(Exchange ex, KeyspaceConfig keyspace, String home) {
        if (failover == null || !(keyspace.policy() instanceof Policy.Primary || keyspace.policy() instanceof Policy.HomeRegion)) {
            return () -> { };
        }
        String owner = keyspace.policy() instanceof Policy.Primary p ? p.primaryRegion() : home;
        failover.checkEpoch(ex.header(Headers.EPOCH));
        try {
            failover.awaitLease(keyspace, owner);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeridianException(ProblemType.UNAVAILABLE, "interrupted waiting for the write lease");
        }
        return () -> {
            failover.checkMayWrite(keyspace, owner);
            // The epoch this write was accepted under: clients and drills can check that one home never had two writers in an epoch.
            ex.header(Headers.EPOCH, Long.toString(failover.epoch()));
        };
    }

    private Optional<String> requestedHome(Exchange ex, KeyspaceConfig keyspace) {
        String home = ex.header(Headers.HOME);
        if (home == null) {
            return Optional.empty();
        }
        if (!(keyspace.policy() instanceof Policy.HomeRegion)) {
            throw new MeridianException(ProblemType.WRONG_POLICY, Headers.HOME + " applies to home-region keyspaces; '"
                    + keyspace.name() + "' is " + keyspace.policy().name(), Map.of("header", Headers.HOME));
        }
        requireRegion(keyspace, home.strip(), Headers.HOME);
        return Optional.of(home.strip());
    }

    private void requireRegion(KeyspaceConfig keyspace, String name, String where) {
        if (config.region(name).isEmpty() || config.region(name).get().witness()) {
            throw new MeridianException(ProblemType.UNKNOWN_REGION, where + ": region '" + name + "' "
                    + (config.region(name).isEmpty() ? "does not exist" : "is a witness and holds no data") + "; data regions: "
                    + String.join(", ", config.dataRegionNames()), Map.of("region", name));
        }
        if (!keyspace.residency().isEmpty() && !keyspace.residency().contains(name)) {
            throw new MeridianException(ProblemType.OUTSIDE_RESIDENCY, where + ": keyspace '" + keyspace.name()
                    + "' may only live in " + keyspace.residency(), Map.of("region", name));
        }
    }

    /** The request's session token; one naming a region this deployment does not have is malformed. */
    private SessionToken token(Exchange ex) {
        String header = ex.header(Headers.SESSION);
        if (header == null) {
            return SessionToken.EMPTY;
        }
        SessionToken token = SessionToken.parse(Headers.SESSION, header);
        for (String origin : token.writes().seqs().keySet()) {
            if (!config.dataRegionNames().contains(origin)) {
                throw new MeridianException(ProblemType.MALFORMED_HEADER, Headers.SESSION + " names region '" + origin
                        + "', which holds no data in this deployment; data regions: " + String.join(", ", config.dataRegionNames()),
                        Map.of("header", Headers.SESSION, "value", header));
            }
        }
        return token;
    }

    record ConflictFeed(String keyspace, String region, List<ConflictView> items, Long next) {
    }

    /** One conflict as the feed shows it: both sides, the rule, and where it was seen. */
    record ConflictView(long seq, String key, String rule, String detectedBy, WriteView winner, WriteView loser) {
        static ConflictView of(ReplicatedStore.NumberedConflict n) {
            Conflict c = n.conflict();
            return new ConflictView(n.seq(), c.key(), c.rule(), c.detectedBy(), WriteView.of(c.winner()), WriteView.of(c.loser()));
        }
    }

    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record WriteView(String version, String origin, long seq, String hlc, String op, String contentType, String value,
                     String valueBase64, String home) {
        static WriteView of(Entry e) {
            KvApi.ScanItem item = KvApi.item(e.key(), ReplicationEngine.tag(e), e.contentType(), e.value());
            return new WriteView(ReplicationEngine.tag(e), e.origin(), e.seq(), e.hlc().toString(),
                    e.op().name().toLowerCase(java.util.Locale.ROOT), e.contentType(),
                    e.isTombstone() ? null : item.value(), e.isTombstone() ? null : item.valueBase64(),
                    e.home().isEmpty() ? null : e.home());
        }
    }

}
