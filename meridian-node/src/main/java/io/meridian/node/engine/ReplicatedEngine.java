package io.meridian.node.engine;

import io.meridian.core.Consistency;
import io.meridian.core.Headers;
import io.meridian.core.Idempotency;
import io.meridian.core.Keys;
import io.meridian.core.KeyspaceRules;
import io.meridian.core.MeridianException;
import io.meridian.core.Preconditions;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.Conflict;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.SessionToken;
import io.meridian.core.replication.VersionVector;
import io.meridian.core.routing.Router;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.node.http.Exchange;
import io.meridian.node.http.Requests;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.node.routing.Forwarder;
import io.meridian.storage.ReplicatedStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The engine of the asynchronously replicated policies ({@code primary}, {@code home-region},
 * {@code multi-master}): writes are stamped and logged here and shipped to the other regions
 * after the answer; reads answer from this region's copy at the consistency asked for.
 *
 * <p>Where each request runs is the {@link Router}'s decision (pure, in core), made from this
 * region's {@link Router.View}: its watermarks and freshness and the failover state. This class
 * performs the route: waits for a session, forwards, or serves. Each answer carries the write's
 * version ({@code origin:seq}) and the session token extended with it; every read states in
 * {@code Meridian-Staleness-Ms} how stale its answer may be.
 */
final class ReplicatedEngine implements KeyspaceEngine {
    private final String region;
    private final MeridianConfig config;
    private final ReplicationEngine engine;
    private final Forwarder forwarder;
    private final FailoverAgent failover;
    private final Router.View view;
    private final Feed feed;

    /** @param failover null when regions do not fail over (one region, or no control plane configured) */
    ReplicatedEngine(String region, MeridianConfig config, ReplicationEngine engine, Forwarder forwarder, FailoverAgent failover) {
        this.region = region;
        this.config = config;
        this.engine = engine;
        this.forwarder = forwarder;
        this.failover = failover;
        this.view = new LiveView();
        this.feed = engine == null ? null : new Feed(region, engine);
    }

    /** This region as the router sees it, read live at each call. */
    private final class LiveView implements Router.View {
        @Override
        public String region() {
            return region;
        }

        @Override
        public List<String> dataRegions() {
            return config.dataRegionNames();
        }

        @Override
        public boolean covers(SessionToken token) {
            return token.satisfiedBy(engine.watermarks());
        }

        @Override
        public Optional<String> uncoveredOrigin(SessionToken token) {
            VersionVector marks = engine.watermarks();
            return token.writes().seqs().entrySet().stream().filter(e -> marks.get(e.getKey()) < e.getValue())
                    .map(Map.Entry::getKey).findFirst();
        }

        @Override
        public Optional<Long> stalenessMillis(String origin) {
            return engine.stalenessMillis(origin);
        }

        @Override
        public Optional<String> acting(String keyspace, String owner) {
            return failover == null ? Optional.of(owner) : failover.acting(config.keyspace(keyspace).orElseThrow(), owner);
        }

        @Override
        public long epoch() {
            return failover == null ? 0 : failover.epoch();
        }

        @Override
        public long sessionWaitMillis() {
            return config.replication().sessionWait().toMillis();
        }
    }

    private static KeyspaceRules rules(KeyspaceConfig keyspace) {
        return KeyspaceRules.of(keyspace.policy());
    }

    /**
     * Routes a read, waiting for the session when the router asks to. Empty when the request was
     * forwarded (and answered); else the staleness to report.
     */
    Optional<Optional<Long>> routeRead(Exchange ex, KeyspaceConfig keyspace, Supplier<Router.Read> request)
            throws InterruptedException {
        Router.Read read = request.get();
        Router.Route route = Router.decide(read, rules(keyspace), view);
        if (route instanceof Router.Route.AwaitSession) {
            engine.awaitCovered(read.token(), config.replication().sessionWait());
            read = request.get().waitedForSession(); // what arrived meanwhile counts
            route = Router.decide(read, rules(keyspace), view);
        }
        return perform(ex, route, null, rules(keyspace).owner(read.home())).map(Router.Route.Serve::stalenessMillis);
    }

    /** Serves, forwards or refuses as routed; a request served or forwarded is recorded with its key's owner. */
    private Optional<Router.Route.Serve> perform(Exchange ex, Router.Route route, byte[] body, Optional<String> owner) {
        return switch (route) {
            case Router.Route.Serve serve -> {
                ex.routed(owner.orElse(""), region);
                yield Optional.of(serve);
            }
            case Router.Route.Forward f -> {
                ex.routed(owner.orElse(""), f.region());
                forwarder.forward(ex, f.region(), body, f.why());
                yield Optional.empty();
            }
            case Router.Route.Refuse r -> throw r.exception();
            case Router.Route.AwaitSession a -> throw new IllegalStateException("the router asked to wait twice");
        };
    }

    /**
     * Routes a write; true when it runs here. It first waits (up to the session bound) for the
     * session's writes, as the router asks: the request, the key's home above all, is read after
     * them.
     */
    boolean routeWrite(Exchange ex, KeyspaceConfig keyspace, SessionToken token, Supplier<Router.Write> request,
                               byte[] body) throws InterruptedException {
        boolean waited = false;
        if (!view.covers(token)) {
            engine.awaitCovered(token, config.replication().sessionWait());
            waited = true;
        }
        Router.Write write = waited ? request.get().waitedForSession() : request.get();
        return perform(ex, Router.decide(write, rules(keyspace), view), body, rules(keyspace).owner(write.home())).isPresent();
    }

    // ---- reads ----

    @Override
    public void get(Exchange ex, KeyspaceConfig keyspace, String key) throws InterruptedException {
        Keys.validate(key);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        SessionToken token = token(ex);
        Preconditions conditions = Requests.preconditions(ex);
        Optional<Optional<Long>> served = routeRead(ex, keyspace, () -> {
            Optional<Entry> known = engine.current(keyspace.name(), key);
            return new Router.Read(keyspace.name(), keyspace.policy().name(), Optional.of(key), consistency, token,
                    known.map(Entry::home).orElse(""), known.isPresent(), false);
        });
        if (served.isEmpty()) {
            return;
        }
        Optional<Entry> current = engine.current(keyspace.name(), key);
        readHeaders(ex, served.get(), token);
        Entry e = current.filter(c -> !c.isTombstone()).orElseThrow(() -> Requests.notFound(keyspace, key));
        ex.header("ETag", Versions.etag(ReplicationEngine.tag(e)));
        ex.header("Last-Modified", Requests.httpDate(e.hlc().physicalMillis()));
        if (!e.home().isEmpty()) {
            ex.header(Headers.HOME, e.home());
        }
        if (conditions.ifNoneMatch() != null && conditions.ifNoneMatch().matches(ReplicationEngine.tag(e))) {
            ex.sendEmpty(304);
            return;
        }
        ex.send(200, e.contentType(), e.value());
    }

    @Override
    public void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws InterruptedException {
        Requests.checkScanParameters(query);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        SessionToken token = token(ex);
        Optional<Optional<Long>> served = routeRead(ex, keyspace, () -> new Router.Read(keyspace.name(),
                keyspace.policy().name(), Optional.empty(), consistency, token, "", false, false));
        if (served.isEmpty()) {
            return;
        }
        readHeaders(ex, served.get(), token);
        ReplicatedStore.ScanResult page = engine.store().scan(keyspace.name(), query.getOrDefault("prefix", ""),
                Optional.ofNullable(query.get("after")), Requests.limit(query.get("limit")));
        List<Requests.ScanItem> items = page.items().stream().map(e -> {
            Requests.ScanItem item = Requests.item(e.key(), ReplicationEngine.tag(e), e.contentType(), e.value());
            return item.withHome(e.home());
        }).toList();
        ex.sendJson(200, new Requests.ScanResult(keyspace.name(), region, items, page.next().orElse(null)));
    }

    void readHeaders(Exchange ex, Optional<Long> staleness, SessionToken token) {
        ex.header(Headers.STALENESS, staleness.map(String::valueOf).orElse("unbounded"));
        if (!token.writes().seqs().isEmpty()) {
            ex.header(Headers.SESSION, token.format());
        }
    }

    // ---- writes ----

    @Override
    public void put(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException, InterruptedException {
        Keys.validate(key);
        String contentType = Requests.contentType(ex);
        Preconditions conditions = Requests.preconditions(ex);
        SessionToken token = token(ex);
        Optional<String> requestedHome = requestedHome(ex, keyspace);
        byte[] body = ex.body(keyspace.maxValueBytes(), keyspace.name());
        Idempotency idempotency = Requests.idempotency(ex, keyspace.name(), body, "PUT", key, contentType,
                requestedHome.orElse(""));
        String[] home = new String[1];
        Supplier<Router.Write> write = () -> {
            home[0] = homeForWrite(keyspace, key, requestedHome);
            return new Router.Write(keyspace.name(), key, token, home[0], false);
        };
        if (!routeWrite(ex, keyspace, token, write, body)) {
            return;
        }
        // Made by the region's replicated writer, in a group; answered once durable, without holding this thread meanwhile.
        ex.answerWhen(engine.writeAsync(Replica.Write.put(keyspace.name(), key, body, contentType, home[0])
                .idempotent(idempotency), conditions, ownerCheck(ex, keyspace, home[0])),
                w -> respondWritten(ex, keyspace, w, token, w.created() ? 201 : 200));
    }

    @Override
    public void delete(Exchange ex, KeyspaceConfig keyspace, String key) throws InterruptedException {
        Keys.validate(key);
        Preconditions conditions = Requests.preconditions(ex);
        SessionToken token = token(ex);
        Idempotency idempotency = Requests.idempotency(ex, keyspace.name(), new byte[0], "DELETE", key);
        Supplier<Router.Write> write = () -> new Router.Write(keyspace.name(), key, token, ownerOf(keyspace, key), false);
        if (!routeWrite(ex, keyspace, token, write, null)) {
            return;
        }
        Optional<Replica.Written> replay = engine.replay(keyspace.name(), idempotency);
        if (replay.isEmpty()) {
            Optional<Entry> current = engine.current(keyspace.name(), key);
            String home = current.map(Entry::home).orElse("");
            String owner = home.isEmpty() ? region : home;
            if (current.isEmpty() || current.get().isTombstone()) {
                throw Requests.notFound(keyspace, key);
            }
            ex.answerWhen(engine.writeAsync(Replica.Write.delete(keyspace.name(), key, home).idempotent(idempotency), conditions,
                    ownerCheck(ex, keyspace, owner)), w -> respondDeleted(ex, w, token));
            return;
        }
        respondDeleted(ex, replay.get(), token);
    }

    private void respondDeleted(Exchange ex, Replica.Written w, SessionToken token) {
        if (w.replayed()) {
            Requests.replayed(ex);
        } else {
            ex.afterAnswer(() -> engine.answered(w.entry()));
        }
        ex.header(Headers.SESSION, token.with(w.entry().stamp()).format());
        ex.sendEmpty(204);
    }

    @Override
    public void moveHome(Exchange ex, KeyspaceConfig keyspace, String key, Map<String, String> query) throws Exception {
        Keys.validate(key);
        if (!rules(keyspace).homed()) {
            KeyspaceEngine.super.moveHome(ex, keyspace, key, query);
            return;
        }
        String to = query.get("to");
        if (to == null || query.size() != 1) {
            throw new MeridianException(ProblemType.INVALID_PARAMETER, "expected exactly ?to=REGION", Map.of("parameter", "to"));
        }
        requireRegion(keyspace, to, "to");
        Preconditions conditions = Requests.preconditions(ex);
        SessionToken token = token(ex);
        Supplier<Router.Write> write = () -> {
            Entry current = engine.current(keyspace.name(), key).filter(e -> !e.isTombstone())
                    .orElseThrow(() -> Requests.notFound(keyspace, key));
            return new Router.Write(keyspace.name(), key, token, current.home(), false);
        };
        if (!routeWrite(ex, keyspace, token, write, null)) {
            return;
        }
        Entry routed = engine.current(keyspace.name(), key).filter(e -> !e.isTombstone())
                .orElseThrow(() -> Requests.notFound(keyspace, key));
        // The value moved is read under the writer's lock: a write landing after the route was chosen is not undone.
        ex.answerWhen(engine.writeDecidedAsync(keyspace.name(), key, now -> {
            Entry current = now.filter(e -> !e.isTombstone()).orElseThrow(() -> Requests.notFound(keyspace, key));
            conditions.checkOrThrow(key, ReplicationEngine.tag(current));
            return Optional.of(new Replica.Write(keyspace.name(), key, current.op(), current.value(), current.contentType(), to));
        }, ownerCheck(ex, keyspace, routed.home())), w -> respondWritten(ex, keyspace, w.orElseThrow(), token, 200));
    }

    /** The key's owner for routing a write that does not set a home: its home here, else this region. */
    private String ownerOf(KeyspaceConfig keyspace, String key) {
        if (!rules(keyspace).homed()) {
            return "";
        }
        String home = engine.current(keyspace.name(), key).map(Entry::home).orElse("");
        return home.isEmpty() ? region : home;
    }

    @Override
    public void conflicts(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) {
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
        int limit = Requests.limit(query.get("limit"));
        List<ReplicatedStore.NumberedConflict> page = engine.store().conflicts(keyspace.name(), after, limit + 1);
        List<ConflictView> items = page.stream().limit(limit).map(ConflictView::of).toList();
        Long next = page.size() > limit ? items.getLast().seq() : null;
        ex.sendJson(200, new ConflictFeed(keyspace.name(), region, items, next));
    }

    /** One write of a change feed: its position in this region's apply order, its key, and the write. */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record ChangeView(long position, String key, WriteView write) {
    }

    record ChangePage(String keyspace, String region, long lastPosition, List<ChangeView> items, Long next) {
    }

    @Override
    public void changes(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws InterruptedException {
        Requests.checkParameters(query, java.util.Set.of("from", "limit"));
        long from = Requests.number(query, "from", 1).orElse(1L);
        int limit = Requests.limit(query.get("limit"));
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        SessionToken token = token(ex);
        Optional<Optional<Long>> served = routeRead(ex, keyspace, () -> new Router.Read(keyspace.name(),
                keyspace.policy().name(), Optional.empty(), consistency, token, "", false, false));
        if (served.isEmpty()) {
            return;
        }
        readHeaders(ex, served.get(), token);
        ReplicatedStore store = engine.store();
        if (ex.wantsEventStream()) {
            feed.serve(ex, keyspace.name(), Feed.resumeAfter(ex, from - 1), (cursor, n) -> changes(keyspace, cursor + 1, n).stream()
                    .map(c -> new Feed.Item(c.position(), c.entry().op().name().toLowerCase(java.util.Locale.ROOT),
                            io.meridian.core.api.ApiJson.bytes(changeView(c)))).toList());
            return;
        }
        long last = store.lastPosition(keyspace.name());
        List<ReplicatedStore.Change> page = changes(keyspace, from, limit + 1);
        Long next = page.size() > limit ? page.get(limit).position() : null;
        ex.sendJson(200, new ChangePage(keyspace.name(), region, last, page.stream().limit(limit).map(ReplicatedEngine::changeView)
                .toList(), next));
    }

    private List<ReplicatedStore.Change> changes(KeyspaceConfig keyspace, long from, int limit) {
        try {
            return engine.store().changes(keyspace.name(), from, limit);
        } catch (ReplicatedStore.FeedExpired e) {
            throw new MeridianException(ProblemType.FEED_POSITION_EXPIRED, "position " + from + " of the change feed of '"
                    + keyspace.name() + "' is no longer kept in " + region + " (its writes left the replication log); "
                    + (e.first() == 0 ? "no older position is kept" : "the oldest kept is " + e.first()),
                    Map.of("keyspace", keyspace.name(), "first_position", e.first()));
        }
    }

    private static ChangeView changeView(ReplicatedStore.Change c) {
        return new ChangeView(c.position(), c.entry().key(), WriteView.of(c.entry()));
    }

    private void respondWritten(Exchange ex, KeyspaceConfig keyspace, Replica.Written w, SessionToken token, int status) {
        Entry e = w.entry();
        if (w.replayed()) {
            Requests.replayed(ex);
        } else {
            ex.afterAnswer(() -> engine.answered(e));
        }
        ex.header("ETag", Versions.etag(ReplicationEngine.tag(e)));
        ex.header(Headers.SESSION, token.with(e.stamp()).format());
        if (!e.home().isEmpty()) {
            ex.header(Headers.HOME, e.home());
        }
        ex.sendJson(status, new Requests.WriteResult(keyspace.name(), e.key(), ReplicationEngine.tag(e), region,
                e.home().isEmpty() ? null : e.home()));
    }

    /** The home a write to this key gives it: its current home, else the one asked for, else here. */
    String homeForWrite(KeyspaceConfig keyspace, String key, Optional<String> requested) {
        if (!rules(keyspace).homed()) {
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
     * The check a write of an owned key makes under the replica's lock: this region is acting for
     * the key's home, active, with a valid lease; before taking the lock, a forwarded request's
     * epoch is checked and a lease being renewed is waited for.
     */
    Runnable ownerCheck(Exchange ex, KeyspaceConfig keyspace, String home) {
        Optional<String> owned = rules(keyspace).owner(home);
        if (failover == null || owned.isEmpty()) {
            return () -> { };
        }
        String owner = owned.get();
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

    Optional<String> requestedHome(Exchange ex, KeyspaceConfig keyspace) {
        String home = ex.header(Headers.HOME);
        if (home == null) {
            return Optional.empty();
        }
        if (!rules(keyspace).homed()) {
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
        if (!keyspace.mayLiveIn(name)) {
            throw new MeridianException(ProblemType.OUTSIDE_RESIDENCY, where + ": keyspace '" + keyspace.name()
                    + "' may only live in " + keyspace.residency(), Map.of("region", name));
        }
    }

    /** The regions a key of the keyspace may live in: the data regions, within its residency. */
    List<String> homeCandidates(KeyspaceConfig keyspace) {
        return config.dataRegionNames().stream()
                .filter(keyspace::mayLiveIn).toList();
    }

    /** The request's session token; one naming a region this deployment does not have is malformed. */
    SessionToken token(Exchange ex) {
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

    /**
     * One conflict as the feed shows it: both sides, the rule, and where it was seen; for a write
     * lost in a failover, {@code lost: true} and, in its own region's feed, whether its client was
     * answered ({@code acknowledged}; absent where it is not known).
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record ConflictView(long seq, String key, String rule, String detectedBy, WriteView winner, WriteView loser, Boolean lost,
                        Boolean acknowledged) {
        static ConflictView of(ReplicatedStore.NumberedConflict n) {
            Conflict c = n.conflict();
            return new ConflictView(n.seq(), c.key(), c.rule(), c.detectedBy(), WriteView.of(c.winner()), WriteView.of(c.loser()),
                    c.isLoss() ? true : null, c.isLoss() ? c.answered() : null);
        }
    }

    /** An event append as the conflict feed shows it: its versions and events, as JSON. */
    private static byte[] appendJson(byte[] value) {
        io.meridian.core.events.Append a = io.meridian.core.events.EventCodec.decode(value);
        List<Map<String, Object>> events = new java.util.ArrayList<>();
        for (int i = 0; i < a.events().size(); i++) {
            io.meridian.core.events.Event e = a.events().get(i);
            events.add(Map.of("version", a.firstVersion() + i, "id", e.id(), "type", e.type()));
        }
        return io.meridian.core.api.ApiJson.bytes(Map.of("first_version", a.firstVersion(), "events", events));
    }

    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record WriteView(String version, String origin, long seq, String hlc, String op, String contentType, String value,
                     String valueBase64, String home) {
        static WriteView of(Entry e) {
            Requests.ScanItem item = e.contentType().equals(io.meridian.core.events.EventCodec.CONTENT_TYPE)
                    ? Requests.item(e.key(), ReplicationEngine.tag(e), "application/json", appendJson(e.value()))
                    : Requests.item(e.key(), ReplicationEngine.tag(e), e.contentType(), e.value());
            return new WriteView(ReplicationEngine.tag(e), e.origin(), e.seq(), e.hlc().toString(),
                    e.op().name().toLowerCase(java.util.Locale.ROOT), e.contentType(),
                    e.isTombstone() ? null : item.value(), e.isTombstone() ? null : item.valueBase64(),
                    e.home().isEmpty() ? null : e.home());
        }
    }

}
