package io.meridian.node.http;

import io.meridian.core.Keys;
import io.meridian.core.Headers;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.Protocol;
import io.meridian.core.auth.Scope;
import io.meridian.core.canary.Canary;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.node.RegionNode;
import io.meridian.node.engine.KeyspaceEngine;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.node.metrics.NodeMetrics;
import io.meridian.storage.StorageException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes the HTTP API. Expected errors become problem documents; anything else is a bug,
 * logged with its stack and answered 500 without closing the node. Each request is timed into
 * {@code meridian_requests_seconds}.
 *
 * <pre>
 * GET  /v1/health              alive
 * GET  /v1/health/ready        deep check (storage, peers)
 * GET  /v1/cluster             regions, keyspaces, peers as this node sees them
 * GET  /v1/status              this region's own figures now (peers, replication, canaries, exposure, request totals)
 * GET  /v1/overview            every region's status as this node gathers it, its failover view, the keyspaces;
 *                              once a second as Server-Sent Events with Accept: text/event-stream
 * GET  /console/               the web console (files from the jar)
 * GET  /metrics                Prometheus text
 * GET  /v1/kv/{ks}             scan (prefix, after, limit)
 * GET|HEAD|PUT|DELETE /v1/kv/{ks}/{key}
 * POST /v1/kv/{ks}/{key}/move-home?to=REGION     (home-region keyspaces)
 * GET  /v1/conflicts/{ks}       the conflict feed (after, limit)
 * POST /v1/txn/{ks}             a transaction on a strong keyspace
 * POST /v1/events/{ks}/{stream}  append events (event-log keyspaces)
 * GET  /v1/events/{ks}/{stream}  read a stream (from, limit, direction); $all for the keyspace's order;
 *                                subscribe with Accept: text/event-stream
 * GET  /v1/events/{ks}/{stream}/state?projection=P&version=N|at=T   a stream's projected state as of then
 * GET  /v1/projections[/{name}[/{stream}]]      projections, their lag, a stream's state
 * GET  /v1/changes/{ks}?from&limit              the keyspace's writes in this region's apply order (SSE too)
 * POST /v1/projections/{name}/rebuild           rebuild by replay while the old read model serves
 * POST /v1/replication/reset-stats   restart the apply-delay distributions in /v1/cluster
 * GET  /v1/exposure             what losing this region now would lose: its writes no other region holds yet
 * GET  /v1/canary               what this region's canary probes measured: staleness per source, read-your-writes per target
 * GET  /v1/failovers            failover state: epoch, regions, lease, decisions with evidence and outcome
 * POST /v1/failovers/{id}/approve|reject        answer a pending decision
 * POST /v1/failovers/failback?region=R           give a rejoined region its keys back (drained handoff)
 * GET|POST /v1/tokens, GET|DELETE /v1/tokens/{id}  access tokens ({@link Access})
 *
 * With auth.tokens: required, every path but health, metrics and the console's files needs a
 * known caller ({@link Access#identify}); data needs read or write on its keyspace, changes
 * (failovers, moving homes, projections' rebuilds, tokens) need admin.
 * </pre>
 */
public final class ApiHandler extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    private static final String KV = "/v1/kv/";
    private static final String CONFLICTS = "/v1/conflicts/";
    private static final String TXN = "/v1/txn/";
    private static final String CRDT = "/v1/crdt/";
    private static final String EVENTS = "/v1/events/";
    private static final String STATE = "/state";
    private static final String PROJECTIONS = "/v1/projections";
    private static final String CHANGES = "/v1/changes/";
    private static final String FAILOVERS = "/v1/failovers";
    private static final String MOVE_HOME = "/move-home";
    private static final List<String> READ = List.of("GET", "HEAD");
    private static final List<String> ITEM = List.of("GET", "HEAD", "PUT", "DELETE");

    private final RegionNode node;
    /** Requests being answered, but for event streams (which end when the node closes): a draining node waits for them. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final MeridianConfig config;
    private final Map<String, KeyspaceEngine> engines;
    private final NodeMetrics metrics;
    private final io.meridian.node.tracing.Tracing tracing;
    private final io.meridian.node.console.Console console;
    private final Access access;

    /** @param engines each keyspace's engine (none in a witness region) */
    public ApiHandler(RegionNode node, MeridianConfig config, Map<String, KeyspaceEngine> engines, NodeMetrics metrics) {
        this(node, config, engines, metrics, io.meridian.node.tracing.Tracing.OFF);
    }

    /** @param tracing where requests' spans go ({@link io.meridian.node.tracing.Tracing#OFF}: nowhere) */
    public ApiHandler(RegionNode node, MeridianConfig config, Map<String, KeyspaceEngine> engines, NodeMetrics metrics,
                      io.meridian.node.tracing.Tracing tracing) {
        this.tracing = tracing;
        this.node = node;
        this.config = config;
        this.engines = Map.copyOf(engines);
        this.metrics = metrics;
        this.console = new io.meridian.node.console.Console(node, config);
        this.access = new Access(node, config);
        this.wan = new WanHttpMeter(node.wan());
    }

    private final WanHttpMeter wan;

    /** Counts the connections other regions open to this one (add it to the connector's listeners). */
    public WanHttpMeter wanMeter() {
        return wan;
    }

    /** What a request carried, for the WAN meter: its keyspace, or the system's own traffic. */
    private static String wanLabel(String keyspace) {
        if ("-".equals(keyspace)) {
            return io.meridian.core.cost.WanMeter.SYSTEM;
        }
        return Canary.isCanary(keyspace) ? io.meridian.core.cost.WanMeter.CANARY : keyspace;
    }

    /** The keyspace named in a URL (checked against the configuration and its residency) and its engine. */
    private KeyspaceEngine engine(KeyspaceConfig keyspace) {
        KeyspaceEngine engine = engines.get(keyspace.name());
        if (engine == null) {
            throw new IllegalStateException("no engine for keyspace '" + keyspace.name() + "'");
        }
        return engine;
    }

    /**
     * The keyspace a request names (checked against the configuration, its residency and the
     * canary's), tagged for metrics, once the caller may read it, or write it when {@code write}.
     */
    private KeyspaceConfig keyspace(Exchange ex, String raw, String[] tags, boolean write) {
        KeyspaceConfig keyspace = Requests.keyspace(config, node.region(), keyspaceName(raw), ex, node::nearestOf);
        if (Canary.isCanary(keyspace.name())) {
            throw canaryReadOnly(keyspace);
        }
        tags[0] = keyspace.name();
        access.authorize(ex, write ? new Scope.Need.Write(keyspace.name()) : new Scope.Need.Read(keyspace.name()));
        return keyspace;
    }

    /** The canary keyspace is the probes' own: readable by key and by scan, and nothing else. */
    private static MeridianException canaryReadOnly(KeyspaceConfig keyspace) {
        return new MeridianException(ProblemType.METHOD_NOT_ALLOWED, "keyspace '" + keyspace.name()
                + "' holds the regions' canary beats and only they write it: read a region's beat with GET /v1/kv/"
                + keyspace.name() + "/{region}, or see what they measured at GET /v1/canary",
                Map.of("keyspace", keyspace.name(), "allowed", READ));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String[] tags = {"-", "other"};
        Exchange ex = new Exchange(request, response, wan.track(request, () -> wanLabel(tags[0]), callback), node.region());
        if (tracing.enabled()) {
            ex.span(tracing.startRequest(request.getMethod(), ex::header));
        }
        boolean counted = !ex.wantsEventStream();
        if (counted) {
            inFlight.incrementAndGet();
        }
        ex.whenAnswered(status -> record(ex, tags, start, status));
        ex.onDeferredEnd(failure -> end(ex, failure, tags, start, counted));
        // The request's span is current while it is routed: a replicated write made here carries its context to the others.
        try (io.opentelemetry.context.Scope ignored = tracing.enabled() ? ex.span().makeCurrent() : io.opentelemetry.context.Scope.noop()) {
            route(ex, tags);
        } catch (Exception e) {
            end(ex, e, tags, start, counted);
            return true;
        }
        if (!ex.deferred()) {
            end(ex, null, tags, start, counted);
        }
        return true;
    }

    private void end(Exchange ex, Throwable failure, String[] tags, long start, boolean counted) {
        finish(ex, failure);
        if (counted) {
            inFlight.decrementAndGet();
        }
    }

    /**
     * With TLS, a request that speaks for a region (asks for a lease, is forwarded, counts as
     * its WAN traffic) must come over a connection showing that region's certificate: a client
     * cannot pass for a region.
     */
    private void authenticatePeer(Exchange ex) {
        for (String header : List.of(Headers.REGION, Headers.FORWARDED_BY)) {
            String claimed = ex.header(header);
            if (claimed != null && !node.tls().authenticates(claimed, ex.peerCertificates())) {
                throw new MeridianException(ProblemType.PEER_NOT_AUTHENTICATED, "the request says " + header + ": " + claimed
                        + ", but its connection did not show region " + claimed + "'s certificate",
                        Map.of("header", header, "region", claimed));
            }
        }
    }

    /** Requests being answered now, event streams aside. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Ends an exchange: answers its failure, if any (expected errors as problem documents, the rest
     * as a logged 500), and times the request if its answer did not.
     */
    private void finish(Exchange ex, Throwable failure) {
        int status;
        if (failure == null) {
            status = ex.status();
        } else if (clientWentAway(failure)) {
            // The client hung up in the middle of its request (or of our answer): nothing to answer, not a bug.
            log.debug("client went away during {} {}: {}", ex.method(), ex.rawPath(), failure.toString());
            ex.endStream(failure); // fails the exchange: Jetty closes what is left of the connection
            status = 499;
        } else {
            if (failure instanceof MeridianException e) {
                ex.sendProblem(e);
            } else if (failure instanceof StorageException e) {
                log.error("storage failed serving {} {}", ex.method(), ex.rawPath(), e);
                ex.sendProblem(new MeridianException(ProblemType.INTERNAL, "storage failed: " + e.getMessage()));
            } else {
                log.error("bug serving {} {}", ex.method(), ex.rawPath(), failure);
                ex.sendProblem(new MeridianException(ProblemType.INTERNAL, "internal error (" + failure.getClass().getSimpleName()
                        + "); the node's log has the details"));
            }
            status = ex.status();
        }
        ex.answered(status); // recorded here unless the answer's last write did it already
    }

    /** Times a request, counts its route and ends its span, as its answer goes out ({@link Exchange#whenAnswered}). */
    private void record(Exchange ex, String[] tags, long start, int status) {
        if (!Canary.isCanary(tags[0])) { // the probes' own reads are not users' requests
            long nanos = System.nanoTime() - start;
            metrics.recordRequest(tags[0], tags[1], status, nanos);
            if (ex.ranIn() != null && status < 500 && ex.header(Headers.FORWARDED_BY) == null) {
                // A client's request, counted once: where it arrived (the region it was forwarded to does not count it).
                boolean read = "GET".equals(ex.method()) || "HEAD".equals(ex.method());
                node.wan().routed(tags[0], read ? io.meridian.core.cost.WhatIf.READ : io.meridian.core.cost.WhatIf.WRITE,
                        ex.owner(), ex.ranIn(), ex.bytesIn(), ex.bytesOut(), nanos / 1_000);
            }
            // Traced: requests on keyspaces and failover commands. Health checks, heartbeats and scrapes
            // (several a second per peer) would bury them; their spans are dropped unended, never exported.
            if (!"-".equals(tags[0]) || "failovers".equals(tags[1])) {
                tracing.endRequest(ex.span(), ex.method(), tags[0], tags[1], status);
            }
        }
    }

    /** True when {@code e} (or a cause) is the connection ending under the request: Jetty's EofException. */
    static boolean clientWentAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.eclipse.jetty.io.EofException) {
                return true;
            }
        }
        return false;
    }

    private void failovers(Exchange ex, String rest) {
        FailoverAgent f = node.failover();
        if (f == null) {
            throw new MeridianException(ProblemType.NOT_IMPLEMENTED, "regions do not fail over in this deployment: it needs"
                    + " more than one region, each with a consensus address, and a replicated keyspace");
        }
        long now = System.currentTimeMillis();
        if (rest.isEmpty()) {
            allow(ex, READ);
            ex.sendJson(200, f.view());
            return;
        }
        allow(ex, List.of("POST"));
        access.authorize(ex, Scope.ADMINISTRATION);
        String by = access.required() ? ex.caller().who() + " via " + node.region() : "operator via " + node.region();
        if (rest.equals("/failback")) {
            Map<String, String> query = Requests.parseQuery(ex.rawQuery());
            String target = query.get("region");
            if (target == null || query.size() != 1) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER, "expected exactly ?region=REGION", Map.of("parameter", "region"));
            }
            if (f.state().region(target).isEmpty()) {
                throw new MeridianException(ProblemType.UNKNOWN_REGION, "region '" + target + "' does not exist", Map.of("region", target));
            }
            ex.sendJson(200, f.operate(new io.meridian.core.failover.Command.Failback(target, by, now)));
            return;
        }
        String[] parts = rest.substring(1).split("/");
        if (parts.length != 2 || !List.of("approve", "reject").contains(parts[1])) {
            throw new MeridianException(ProblemType.NOT_FOUND, "no resource at " + FAILOVERS + rest
                    + "; expected /v1/failovers/{id}/approve, /v1/failovers/{id}/reject or /v1/failovers/failback?region=R");
        }
        long id;
        try {
            id = Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            throw new MeridianException(ProblemType.INVALID_PARAMETER, "'" + parts[0] + "' is not a decision number",
                    Map.of("parameter", "id"));
        }
        if (f.state().decision(id).isEmpty()) {
            throw new MeridianException(ProblemType.NO_DECISION, "no failover decision " + id + "; GET /v1/failovers lists them",
                    Map.of("decision", id));
        }
        ex.sendJson(200, f.operate(parts[1].equals("approve")
                ? new io.meridian.core.failover.Command.Approve(id, by, now)
                : new io.meridian.core.failover.Command.Reject(id, by, now)));
    }

    /**
     * {@code GET /v1/projections}, {@code GET /v1/projections/{name}}, {@code GET /v1/projections/{name}/{stream}},
     * {@code POST /v1/projections/{name}/rebuild}.
     */
    private void projections(Exchange ex, String rest) {
        Map<String, io.meridian.node.projection.ProjectionRunner> all = node.projections();
        if (rest.isEmpty()) {
            allow(ex, READ);
            ex.sendJson(200, Map.of("region", node.region(), "items",
                    all.values().stream().map(io.meridian.node.projection.ProjectionRunner::view).toList()));
            return;
        }
        String[] parts = rest.substring(1).split("/", 2);
        io.meridian.node.projection.ProjectionRunner p = all.get(parts[0]);
        if (p == null) {
            throw new MeridianException(ProblemType.UNKNOWN_PROJECTION, "no projection '" + parts[0] + "'; projections: "
                    + (all.isEmpty() ? "none" : String.join(", ", all.keySet())), Map.of("projection", parts[0]));
        }
        if (parts.length == 1) {
            allow(ex, READ);
            ex.sendJson(200, p.view());
        } else if (parts[1].equals("rebuild")) {
            allow(ex, List.of("POST"));
            access.authorize(ex, Scope.ADMINISTRATION);
            ex.sendJson(202, p.rebuild());
        } else {
            allow(ex, READ);
            access.authorize(ex, new Scope.Need.Read(p.keyspace()));
            String stream = Keys.decodePathSegment(parts[1]);
            ex.sendJson(200, p.state(node.region(), stream).orElseThrow(() -> new MeridianException(ProblemType.STREAM_NOT_FOUND,
                    "projection '" + parts[0] + "' has no state for stream '" + stream + "' in " + node.region()
                            + " (no events, or not folded yet: lag " + p.view().lag() + " events)",
                    Map.of("projection", parts[0], "stream", stream))));
        }
    }

    /**
     * Refuses a change a browser sends on behalf of a page of another origin: a page the operator
     * happens to have open could otherwise approve a failover or write a key through the console's
     * node (a form POST needs no preflight). Browsers say where a request comes from in
     * {@code Origin}; clients that are not browsers send none and are not concerned.
     */
    private static void refuseCrossOrigin(Exchange ex) {
        String origin = ex.header("Origin");
        if (origin == null || READ.contains(ex.method()) || "OPTIONS".equals(ex.method())) {
            return;
        }
        String host = ex.authority(); // Host in HTTP/1.1; HTTP/2 (HTTPS to browsers) sends :authority instead
        String from;
        try {
            from = java.net.URI.create(origin.strip()).getRawAuthority();
        } catch (IllegalArgumentException e) {
            from = null;
        }
        if (from == null || host == null || !from.equalsIgnoreCase(host.strip())) {
            throw new MeridianException(ProblemType.CROSS_ORIGIN, "a page from " + origin + " may not " + ex.method() + " " + ex.rawPath()
                    + " on this node; open the console of this node (/console/) or use a client that is not a browser",
                    Map.of("origin", origin));
        }
    }

    private KeyspaceConfig whatIfKeyspace(String name) {
        if (name == null || name.isEmpty()) {
            throw new MeridianException(ProblemType.INVALID_PARAMETER, "say which keyspace: ?keyspace=NAME&move=REGION&to=REGION"
                    + " (home-region keys) or ?keyspace=NAME&primary=REGION", Map.of("parameter", "keyspace"));
        }
        return config.keyspace(name).filter(k -> !Canary.isCanary(k.name())).orElseThrow(() -> new MeridianException(
                ProblemType.UNKNOWN_KEYSPACE, "no keyspace named '" + name + "'" + (Canary.isCanary(name)
                ? " that clients write: the canary keyspace is the probes' own" : ""), Map.of("keyspace", name)));
    }

    /** {@code move=X&to=Y} or {@code primary=Y}, and nothing else. */
    private static io.meridian.core.cost.WhatIf.Change whatIfChange(Map<String, String> query) {
        String move = query.get("move");
        String to = query.get("to");
        String primary = query.get("primary");
        if (primary != null && move == null && to == null && !primary.isEmpty()) {
            return new io.meridian.core.cost.WhatIf.Change.Primary(primary);
        }
        if (primary == null && move != null && to != null && !move.isEmpty() && !to.isEmpty()) {
            return new io.meridian.core.cost.WhatIf.Change.MoveHome(move, to);
        }
        throw new MeridianException(ProblemType.INVALID_PARAMETER, "say one change: move=REGION&to=REGION (the keys whose home"
                + " is the first region get the second) or primary=REGION (every write made there)", Map.of("parameter", "move"));
    }

    /** Dispatches; fills {@code tags} with the keyspace and operation for metrics. */
    private void route(Exchange ex, String[] tags) throws Exception {
        refuseCrossOrigin(ex);
        authenticatePeer(ex);
        String path = ex.rawPath();
        if (node.draining() && !path.equals("/v1/health") && !path.equals("/v1/health/ready") && !path.equals("/metrics")) {
            // Stopping: requests in flight finish; new ones go elsewhere (a client of several regions fails over on a 503).
            ex.header("Connection", "close");
            throw new MeridianException(ProblemType.UNAVAILABLE, "region " + node.region()
                    + " is stopping (a planned restart): ask another region, or this one again in a few seconds");
        }
        if (!Access.open(path)) {
            access.identify(ex);
        }
        switch (path) {
            case "/v1/health" -> {
                tags[1] = "health";
                allow(ex, READ);
                String requester = ex.header(Headers.REGION);
                ex.header(Protocol.HEADER, String.valueOf(Protocol.CURRENT));
                if (node.draining()) {
                    ex.header(Headers.DRAINING, "true");
                }
                if (requester != null) {
                    Optional<String> incompatible = Protocol.incompatibility(requester,
                            ex.header(Protocol.HEADER));
                    if (incompatible.isPresent()) {
                        throw new MeridianException(ProblemType.INCOMPATIBLE_PROTOCOL, incompatible.get(),
                                Map.of("protocol", Protocol.CURRENT, "oldest", Protocol.OLDEST));
                    }
                }
                if (requester != null && ex.header(Headers.LEASE) != null) {
                    ex.header(Headers.LEASE, node.grantLease(requester) ? "granted" : "refused");
                }
                if (requester != null) {
                    String theirs = ex.header(Headers.SUSPECTS);
                    if (theirs != null) {
                        node.heard(requester, io.meridian.core.failover.PeerWord.parse(theirs,
                                ex.header(Headers.RAFT_LOGS)));
                    }
                    node.word().ifPresent(w -> {
                        ex.header(Headers.SUSPECTS, w.suspectsHeader());
                        ex.header(Headers.RAFT_LOGS, w.logsHeader());
                    });
                }
                ex.sendJson(200, Map.of("status", "alive", "region", node.region()));
            }
            case "/v1/health/ready" -> {
                tags[1] = "ready";
                allow(ex, READ);
                io.meridian.core.api.ReadyView ready = node.readiness();
                ex.sendJson(ready.status().equals("not-ready") || ready.status().equals("draining") ? 503 : 200, ready);
            }
            case "/v1/cluster" -> {
                tags[1] = "cluster";
                allow(ex, READ);
                ex.sendJson(200, node.clusterView());
            }
            case "/v1/status" -> {
                tags[1] = "status";
                allow(ex, READ);
                ex.sendJson(200, node.status());
            }
            case "/v1/overview" -> {
                tags[1] = "overview";
                allow(ex, READ);
                console.overview(ex);
            }
            case "/v1/cost" -> {
                tags[1] = "cost";
                allow(ex, READ);
                ex.answerWhen(node.costEverywhere(), view -> ex.sendJson(200, view));
            }
            case "/v1/cost/what-if" -> {
                tags[1] = "cost-what-if";
                allow(ex, READ);
                Map<String, String> query = Requests.parseQuery(ex.rawQuery());
                KeyspaceConfig keyspace = whatIfKeyspace(query.get("keyspace"));
                ex.answerWhen(node.whatIf(keyspace, whatIfChange(query)), view -> ex.sendJson(200, view));
            }
            case "/v1/cost/counters" -> {
                tags[1] = "cost-counters";
                allow(ex, READ);
                ex.sendJson(200, node.wanCounters());
            }
            case "/v1/exposure" -> {
                tags[1] = "exposure";
                allow(ex, READ);
                ex.sendJson(200, node.exposure());
            }
            case "/v1/canary" -> {
                tags[1] = "canary";
                allow(ex, READ);
                ex.sendJson(200, node.canaryView().orElseThrow(() -> new MeridianException(ProblemType.NOT_FOUND,
                        node.region() + " runs no canary probes: " + (node.isWitness() ? "it is a witness and holds no data"
                                : "canary.interval-ms is 0, or no keyspace replicates asynchronously between data regions"))));
            }
            case "/v1/replication/reset-stats" -> {
                tags[1] = "reset-stats";
                allow(ex, List.of("POST"));
                access.authorize(ex, Scope.ADMINISTRATION);
                node.resetReplicationStats();
                ex.sendEmpty(204);
            }
            case "/metrics" -> {
                tags[1] = "metrics";
                allow(ex, READ);
                ex.sendText(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
            }
            default -> {
                if (node.isWitness() && (path.startsWith(KV) || path.startsWith(TXN) || path.startsWith(CONFLICTS)
                        || path.startsWith(CRDT) || path.startsWith(EVENTS) || path.startsWith(PROJECTIONS)
                        || path.startsWith(CHANGES))) {
                    throw new MeridianException(ProblemType.WITNESS, node.region() + " is a witness: it votes in the control"
                            + " plane and detects failures, and holds no keyspace data; send data requests to a data region");
                }
                if (io.meridian.node.console.Console.serves(path)) {
                    tags[1] = "console";
                    allow(ex, READ);
                    console.serveFile(ex);
                } else if (path.equals(PROJECTIONS) || path.startsWith(PROJECTIONS + "/")) {
                    tags[1] = "projections";
                    projections(ex, path.substring(PROJECTIONS.length()));
                } else if (path.equals(Access.TOKENS) || path.startsWith(Access.TOKENS + "/")) {
                    tags[1] = "tokens";
                    access.tokens(ex, path.substring(Access.TOKENS.length()));
                } else if (path.equals(FAILOVERS) || path.startsWith(FAILOVERS + "/")) {
                    tags[1] = "failovers";
                    failovers(ex, path.substring(FAILOVERS.length()));
                } else if (path.startsWith(KV)) {
                    routeKv(ex, path.substring(KV.length()), tags);
                } else if (path.startsWith(TXN) && path.indexOf('/', TXN.length()) < 0) {
                    tags[1] = "txn";
                    allow(ex, List.of("POST"));
                    KeyspaceConfig keyspace = keyspace(ex, path.substring(TXN.length()), tags, true);
                    engine(keyspace).txn(ex, keyspace);
                } else if (path.startsWith(CRDT) && path.indexOf('/', CRDT.length()) > CRDT.length()) {
                    tags[1] = "crdt";
                    allow(ex, List.of("POST"));
                    String rest = path.substring(CRDT.length());
                    int slash = rest.indexOf('/');
                    KeyspaceConfig keyspace = keyspace(ex, rest.substring(0, slash), tags, true);
                    engine(keyspace).crdt(ex, keyspace, Keys.decodePathSegment(rest.substring(slash + 1)));
                } else if (path.startsWith(EVENTS) && path.indexOf('/', EVENTS.length()) > EVENTS.length()) {
                    String rest = path.substring(EVENTS.length());
                    int slash = rest.indexOf('/');
                    KeyspaceConfig keyspace = keyspace(ex, rest.substring(0, slash), tags, "POST".equals(ex.method()));
                    String rawStream = rest.substring(slash + 1);
                    if (rawStream.endsWith(STATE) && rawStream.length() > STATE.length()) {
                        tags[1] = "as-of";
                        allow(ex, READ);
                        engine(keyspace).eventState(ex, keyspace, Keys.decodePathSegment(rawStream.substring(0,
                                rawStream.length() - STATE.length())), Requests.parseQuery(ex.rawQuery()));
                        return;
                    }
                    String stream = Keys.decodePathSegment(rawStream);
                    if ("POST".equals(ex.method())) {
                        tags[1] = "append";
                        engine(keyspace).append(ex, keyspace, stream);
                    } else {
                        tags[1] = ex.wantsEventStream() ? "subscribe" : "events";
                        allow(ex, List.of("GET", "HEAD", "POST"));
                        engine(keyspace).events(ex, keyspace, stream, Requests.parseQuery(ex.rawQuery()));
                    }
                } else if (path.startsWith(CHANGES) && path.indexOf('/', CHANGES.length()) < 0) {
                    tags[1] = ex.wantsEventStream() ? "subscribe-changes" : "changes";
                    allow(ex, READ);
                    KeyspaceConfig keyspace = keyspace(ex, path.substring(CHANGES.length()), tags, false);
                    engine(keyspace).changes(ex, keyspace, Requests.parseQuery(ex.rawQuery()));
                } else if (path.startsWith(CONFLICTS) && path.indexOf('/', CONFLICTS.length()) < 0) {
                    tags[1] = "conflicts";
                    allow(ex, READ);
                    KeyspaceConfig keyspace = keyspace(ex, path.substring(CONFLICTS.length()), tags, false);
                    engine(keyspace).conflicts(ex, keyspace, Requests.parseQuery(ex.rawQuery()));
                } else {
                    throw new MeridianException(ProblemType.NOT_FOUND, "no resource at " + path
                            + "; the API lives under /v1/kv, /v1/crdt, /v1/txn, /v1/events, /v1/projections, /v1/changes, /v1/conflicts, /v1/failovers, /v1/health,"
                            + " /v1/cluster, /v1/status, /v1/overview and /metrics; the console is at /console/");
                }
            }
        }
    }

    private void routeKv(Exchange ex, String rest, String[] tags) throws Exception {
        int slash = rest.indexOf('/');
        String rawKeyspace = slash < 0 ? rest : rest.substring(0, slash);
        boolean moveHome = slash >= 0 && "POST".equals(ex.method()) && rest.endsWith(MOVE_HOME);
        if (slash < 0) {
            tags[1] = "scan";
            allow(ex, READ);
        } else if (moveHome) {
            tags[1] = "move-home";
        } else {
            tags[1] = switch (ex.method()) {
                case "PUT" -> "put";
                case "DELETE" -> "delete";
                default -> "get";
            };
            allow(ex, ITEM);
        }
        KeyspaceConfig keyspace = Requests.keyspace(config, node.region(), keyspaceName(rawKeyspace), ex, node::nearestOf);
        if (Canary.isCanary(keyspace.name()) && (moveHome || !READ.contains(ex.method()))) {
            ex.header("Allow", String.join(", ", READ));
            throw canaryReadOnly(keyspace);
        }
        tags[0] = keyspace.name();
        access.authorize(ex, moveHome ? Scope.ADMINISTRATION : READ.contains(ex.method()) ? new Scope.Need.Read(keyspace.name())
                : new Scope.Need.Write(keyspace.name()));
        KeyspaceEngine engine = engine(keyspace);
        Map<String, String> query = Requests.parseQuery(ex.rawQuery());
        if (slash < 0) {
            engine.scan(ex, keyspace, query);
            return;
        }
        if (moveHome) {
            String key = Keys.decodePathSegment(rest.substring(slash + 1, rest.length() - MOVE_HOME.length()));
            engine.moveHome(ex, keyspace, key, query);
            return;
        }
        String key = Keys.decodePathSegment(rest.substring(slash + 1));
        switch (ex.method()) {
            case "PUT" -> engine.put(ex, keyspace, key);
            case "DELETE" -> engine.delete(ex, keyspace, key);
            default -> engine.get(ex, keyspace, key);
        }
    }

    private static String keyspaceName(String raw) {
        try {
            return Keys.decodePathSegment(raw);
        } catch (MeridianException e) {
            throw new MeridianException(ProblemType.UNKNOWN_KEYSPACE, "keyspace '" + raw + "' does not exist",
                    Map.of("keyspace", raw));
        }
    }

    static void allow(Exchange ex, List<String> methods) {
        if (!methods.contains(ex.method())) {
            ex.header("Allow", String.join(", ", methods));
            throw new MeridianException(ProblemType.METHOD_NOT_ALLOWED,
                    ex.method() + " is not allowed on " + ex.rawPath() + "; allowed: " + String.join(", ", methods),
                    Map.of("method", ex.method(), "allowed", methods));
        }
    }
}
