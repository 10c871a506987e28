package io.meridian.node.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.core.Consistency;
import io.meridian.core.Headers;
import io.meridian.core.Keys;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.api.ApiJson;
import io.meridian.core.api.EventsView;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.events.AppendRequest;
import io.meridian.core.events.EventCodec;
import io.meridian.core.events.EventException;
import io.meridian.core.events.EventLog;
import io.meridian.core.events.StoredEvent;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.SessionToken;
import io.meridian.core.replication.Stamp;
import io.meridian.core.routing.Router;
import io.meridian.node.http.Exchange;
import io.meridian.node.http.Requests;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.storage.ReplicatedStore;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The engine of {@code event-log} keyspaces: streams of events, appended at the stream's home
 * and kept by every region.
 *
 * <p>An append ({@code POST /v1/events/{keyspace}/{stream}}) is routed like a write of a
 * home-region key (the stream's home orders its events; appends elsewhere are forwarded there;
 * failover and fencing apply as to home-region keys). A new stream's home is the region its first
 * append names ({@code Meridian-Home}), else {@link EventLog#defaultHome}: the same region
 * wherever the append arrives, so no two regions create one stream at once. At the home,
 * under the replication lock, {@link EventLog#decide} checks the expected version and the event
 * ids; the events become one replicated write of the stream's key, and the region's event store
 * keeps them (with their positions in the keyspace's {@code $all}) in the same atomic commit.
 * Reads ({@code GET /v1/events/...}) serve this region's copy at the consistency asked for,
 * through the same router as every asynchronous keyspace; with {@code Accept: text/event-stream}
 * they become subscriptions: catch-up, then live, one event per Server-Sent Event.
 */
final class EventLogEngine implements KeyspaceEngine {
    /** The most events one append may carry. */
    static final int MAX_EVENTS_PER_APPEND = 1_000;
    /** The name of a keyspace's total order in URLs. */
    static final String ALL = "$all";

    private final String region;
    private final ReplicationEngine engine;
    private final ReplicatedEngine routes;
    private final Feed feed;
    private final Map<String, io.meridian.node.projection.ProjectionRunner> projections;

    /** @param projections every projection of the deployment, by name (this keyspace's among them) */
    EventLogEngine(String region, ReplicationEngine engine, ReplicatedEngine routes,
                   Map<String, io.meridian.node.projection.ProjectionRunner> projections) {
        this.region = region;
        this.engine = engine;
        this.routes = routes;
        this.projections = projections;
        this.feed = new Feed(region, engine);
    }

    // ---- appends ----

    @Override
    public void append(Exchange ex, KeyspaceConfig keyspace, String stream) throws IOException, InterruptedException {
        checkStream(stream);
        SessionToken token = routes.token(ex);
        byte[] body = ex.body(keyspace.maxValueBytes(), keyspace.name());
        AppendRequest request = parse(body);
        // The events' ids make appends idempotent (a retry appends nothing twice); the header is checked, and a
        // retry recognised by its ids is answered with Idempotent-Replayed.
        boolean idempotent = !Requests.idempotency(ex, keyspace.name(), body).isNone();
        Optional<String> named = routes.requestedHome(ex, keyspace);
        String[] home = new String[1];
        Supplier<Router.Write> write = () -> {
            // A new stream's home: the one the client names, else the same region wherever the append arrives.
            Optional<String> requested = named.isPresent() || engine.current(keyspace.name(), stream).isPresent() ? named
                    : Optional.of(EventLog.defaultHome(stream, routes.homeCandidates(keyspace)));
            home[0] = routes.homeForWrite(keyspace, stream, requested);
            return new Router.Write(keyspace.name(), stream, token, home[0], false);
        };
        if (!routes.routeWrite(ex, keyspace, token, write, body)) {
            return;
        }
        ReplicatedStore store = engine.store();
        EventLog.Decision[] decision = new EventLog.Decision[1];
        // Decided and made by the region's replicated writer, in a group; answered once durable, without holding this
        // thread meanwhile (the decision's problems, such as a wrong expected version, are thrown by the answer).
        ex.answerWhen(engine.writeDecidedAsync(keyspace.name(), stream, current -> {
            long last = current.filter(e -> !e.isTombstone()).map(e -> EventCodec.decode(e.value()).lastVersion()).orElse(0L);
            decision[0] = EventLog.decide(request, last, id -> store.eventVersion(keyspace.name(), stream, id));
            if (decision[0] instanceof EventLog.Decision.Appended a) {
                return Optional.of(Replica.Write.put(keyspace.name(), stream, EventCodec.encode(a.append()),
                        EventCodec.CONTENT_TYPE, home[0]));
            }
            return Optional.empty();
        }, routes.ownerCheck(ex, keyspace, home[0])), written -> answerAppend(ex, keyspace, stream, token, idempotent,
                decision[0], written));
    }

    private void answerAppend(Exchange ex, KeyspaceConfig keyspace, String stream, SessionToken token, boolean idempotent,
                              EventLog.Decision decision, Optional<Replica.Written> written) {
        ReplicatedStore store = engine.store();
        switch (decision) {
            case EventLog.Decision.Appended a -> {
                Entry e = written.orElseThrow().entry();
                ex.afterAnswer(() -> engine.answered(e));
                respond(ex, keyspace, stream, token.with(e.stamp()), e, a.append().firstVersion(), a.append().lastVersion(),
                        false, a.append().firstVersion() == 1 ? 201 : 200);
            }
            case EventLog.Decision.AlreadyAppended again -> {
                StoredEvent first = store.events(keyspace.name(), stream, again.firstVersion(), 1, true).getFirst();
                Entry head = engine.current(keyspace.name(), stream).orElseThrow();
                if (idempotent) {
                    Requests.replayed(ex);
                }
                respond(ex, keyspace, stream, token.with(new Stamp(first.origin(), first.seq(), first.hlc())),
                        head, again.firstVersion(), again.lastVersion(), true, 200);
            }
            case EventLog.Decision.WrongExpectedVersion w -> throw new MeridianException(ProblemType.WRONG_EXPECTED_VERSION,
                    "stream '" + stream + "' " + (w.current() == 0 ? "does not exist" : "is at version " + w.current())
                            + ", not " + w.expected() + " as the append expected; nothing was appended",
                    Map.of("stream", stream, "expected_version", w.expected(), "current_version", w.current()));
            case EventLog.Decision.PartlyAppended p -> throw new MeridianException(ProblemType.DUPLICATE_EVENT,
                    "event " + p.id() + " is already in stream '" + stream + "' at version " + p.version() + ", and other"
                            + " events of this append are not: a retry must send the same events in the same order",
                    Map.of("stream", stream, "id", p.id(), "version", p.version()));
        }
    }

    private void respond(Exchange ex, KeyspaceConfig keyspace, String stream, SessionToken token, Entry carrier, long first,
                         long last, boolean again, int status) {
        ex.header(Headers.SESSION, token.format());
        ex.header(Headers.HOME, carrier.home());
        ex.sendJson(status, new EventsView.AppendResult(keyspace.name(), stream, region, carrier.home(), first, last,
                ReplicationEngine.tag(carrier), again));
    }

    private static AppendRequest parse(byte[] body) {
        JsonNode json;
        try {
            json = ApiJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new MeridianException(ProblemType.INVALID_EVENTS, "the body is not JSON: " + e.getMessage());
        }
        try {
            return AppendRequest.parse(json, MAX_EVENTS_PER_APPEND);
        } catch (EventException e) {
            throw new MeridianException(ProblemType.INVALID_EVENTS, e.getMessage());
        }
    }

    private static void checkStream(String stream) {
        Keys.validate(stream);
        if (stream.startsWith("$")) {
            throw new MeridianException(ProblemType.INVALID_KEY, "stream names starting with '$' are reserved (" + ALL
                    + " is every event of the keyspace); got '" + stream + "'", Map.of("stream", stream));
        }
    }

    // ---- reads ----

    @Override
    public void events(Exchange ex, KeyspaceConfig keyspace, String stream, Map<String, String> query) throws Exception {
        if (stream.equals(ALL)) {
            readAll(ex, keyspace, query);
            return;
        }
        checkStream(stream);
        Requests.checkParameters(query, ex.wantsEventStream() ? Set.of("from") : Set.of("from", "limit", "direction"));
        boolean forward = switch (query.getOrDefault("direction", "forward")) {
            case "forward" -> true;
            case "backward" -> false;
            default -> throw new MeridianException(ProblemType.INVALID_PARAMETER, "direction '" + query.get("direction")
                    + "' is not forward or backward", Map.of("parameter", "direction"));
        };
        Optional<Long> from = Requests.number(query, "from", 0);
        int limit = Requests.limit(query.get("limit"));
        SessionToken token = routes.token(ex);
        Optional<Optional<Long>> served = route(ex, keyspace, Optional.of(stream), token);
        if (served.isEmpty()) {
            return;
        }
        routes.readHeaders(ex, served.get(), token);
        if (ex.wantsEventStream()) {
            // A stream that does not exist here yet can be followed: its events come as they are appended.
            long after = Feed.resumeAfter(ex, from.map(f -> f - 1).orElse(0L));
            feed.serve(ex, keyspace.name(), after, (cursor, n) -> contiguous(engine.store().events(keyspace.name(), stream,
                    cursor + 1, n, true), cursor + 1).stream().map(e -> item(e.version(), e)).toList());
            return;
        }
        Entry head = engine.current(keyspace.name(), stream).filter(e -> !e.isTombstone())
                .orElseThrow(() -> new MeridianException(ProblemType.STREAM_NOT_FOUND, "stream '" + stream + "' of keyspace '"
                        + keyspace.name() + "' has no events in " + region, Map.of("keyspace", keyspace.name(), "stream", stream)));
        ex.header(Headers.HOME, head.home());
        long last = EventCodec.decode(head.value()).lastVersion();
        long start = from.orElse(forward ? 1 : last);
        List<StoredEvent> page = engine.store().events(keyspace.name(), stream, start, limit, forward);
        Long next = null;
        if (!page.isEmpty()) {
            long edge = page.getLast().version();
            next = forward ? (edge < last ? edge + 1 : null) : (edge > 1 ? edge - 1 : null);
        }
        ex.sendJson(200, new EventsView.StreamPage(keyspace.name(), stream, region, head.home(), last,
                forward ? "forward" : "backward", page.stream().map(EventsView.EventView::of).toList(), next));
    }

    private void readAll(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws Exception {
        Requests.checkParameters(query, ex.wantsEventStream() ? Set.of("from") : Set.of("from", "limit"));
        long from = Requests.number(query, "from", 1).orElse(1L);
        int limit = Requests.limit(query.get("limit"));
        SessionToken token = routes.token(ex);
        Optional<Optional<Long>> served = route(ex, keyspace, Optional.empty(), token);
        if (served.isEmpty()) {
            return;
        }
        routes.readHeaders(ex, served.get(), token);
        ReplicatedStore store = engine.store();
        if (ex.wantsEventStream()) {
            feed.serve(ex, keyspace.name(), Feed.resumeAfter(ex, from - 1), (cursor, n) -> store.all(keyspace.name(), cursor + 1, n)
                    .stream().map(e -> item(e.position(), e)).toList());
            return;
        }
        long lastPosition = store.lastPosition(keyspace.name());
        List<StoredEvent> page = store.all(keyspace.name(), from, limit + 1);
        Long next = page.size() > limit ? page.get(limit).position() : null;
        ex.sendJson(200, new EventsView.AllPage(keyspace.name(), region, lastPosition,
                page.stream().limit(limit).map(EventsView.EventView::of).toList(), next));
    }

    /** Routes a read of a stream (or of {@code $all}); empty when it was forwarded and answered. */
    private Optional<Optional<Long>> route(Exchange ex, KeyspaceConfig keyspace, Optional<String> stream, SessionToken token)
            throws InterruptedException {
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        if (ex.wantsEventStream() && !(consistency instanceof Consistency.Session || consistency instanceof Consistency.Eventual)) {
            throw new MeridianException(ProblemType.INVALID_PARAMETER, "a subscription follows this region's copy as it"
                    + " grows: it reads at session (the default) or eventual consistency, not " + consistency,
                    Map.of("header", Consistency.HEADER));
        }
        return routes.routeRead(ex, keyspace, () -> {
            Optional<Entry> known = stream.flatMap(s -> engine.current(keyspace.name(), s));
            return new Router.Read(keyspace.name(), keyspace.policy().name(), stream, consistency, token,
                    known.map(Entry::home).orElse(""), known.isPresent(), false);
        });
    }

    // ---- as-of queries ----

    @Override
    public void eventState(Exchange ex, KeyspaceConfig keyspace, String stream, Map<String, String> query) throws Exception {
        checkStream(stream);
        Requests.checkParameters(query, Set.of("projection", "version", "at"));
        String name = query.get("projection");
        io.meridian.node.projection.ProjectionRunner projection = name == null ? null : projections.get(name);
        if (projection == null || !projection.keyspace().equals(keyspace.name())) {
            List<String> mine = projections.values().stream().filter(p -> p.keyspace().equals(keyspace.name()))
                    .map(io.meridian.node.projection.ProjectionRunner::name).toList();
            throw new MeridianException(name == null ? ProblemType.INVALID_PARAMETER : ProblemType.UNKNOWN_PROJECTION,
                    (name == null ? "?projection=NAME is required" : "keyspace '" + keyspace.name() + "' has no projection '"
                            + name + "'") + "; its projections: " + (mine.isEmpty() ? "none" : String.join(", ", mine)),
                    Map.of("parameter", "projection"));
        }
        if (query.containsKey("version") == query.containsKey("at")) {
            throw new MeridianException(ProblemType.INVALID_PARAMETER, "give exactly one of ?version=N and ?at=TIME (ISO-8601,"
                    + " such as 2026-11-30T12:00:00Z)", Map.of("parameter", "version"));
        }
        SessionToken token = routes.token(ex);
        Optional<Optional<Long>> served = route(ex, keyspace, Optional.of(stream), token);
        if (served.isEmpty()) {
            return;
        }
        routes.readHeaders(ex, served.get(), token);
        Entry head = engine.current(keyspace.name(), stream).filter(e -> !e.isTombstone())
                .orElseThrow(() -> new MeridianException(ProblemType.STREAM_NOT_FOUND, "stream '" + stream + "' of keyspace '"
                        + keyspace.name() + "' has no events in " + region, Map.of("keyspace", keyspace.name(), "stream", stream)));
        long last = EventCodec.decode(head.value()).lastVersion();
        long version;
        if (query.containsKey("version")) {
            version = Requests.number(query, "version", 1).orElseThrow();
            if (version > last) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER, "stream '" + stream + "' is at version " + last
                        + " in " + region + "; version " + version + " does not exist (yet)", Map.of("parameter", "version",
                        "last_version", last));
            }
        } else {
            long at;
            try {
                at = java.time.Instant.parse(query.get("at")).toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER, "at '" + query.get("at") + "' is not an ISO-8601"
                        + " instant such as 2026-11-30T12:00:00Z", Map.of("parameter", "at"));
            }
            version = lastVersionAt(keyspace.name(), stream, last, at);
            if (version == 0) {
                throw new MeridianException(ProblemType.STREAM_NOT_FOUND, "stream '" + stream + "' had no events yet at "
                        + query.get("at"), Map.of("stream", stream));
            }
        }
        ex.sendJson(200, projection.asOf(region, stream, version));
    }

    /** The last version of a stream appended at or before {@code atMillis} (0: none): the append times grow with the versions. */
    private long lastVersionAt(String keyspace, String stream, long last, long atMillis) {
        long low = 0;
        long high = last;
        while (low < high) {
            long mid = (low + high + 1) / 2;
            long t = engine.store().events(keyspace, stream, mid, 1, true).getFirst().hlc().physicalMillis();
            if (t <= atMillis) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    // ---- subscriptions ----

    /**
     * The events of a page that follow each other from version {@code first}: a subscriber must not
     * pass a version that has not arrived yet (after a home moved, a later append of the new home
     * can arrive before an earlier one of the old), or it would never see it.
     */
    private static List<StoredEvent> contiguous(List<StoredEvent> page, long first) {
        int n = 0;
        while (n < page.size() && page.get(n).version() == first + n) {
            n++;
        }
        return page.subList(0, n);
    }

    private static Feed.Item item(long id, StoredEvent e) {
        return new Feed.Item(id, e.event().type(), ApiJson.bytes(EventsView.EventView.of(e)));
    }

    // ---- parameters ----

    // ---- the key-value API ----

    @Override
    public void get(Exchange ex, KeyspaceConfig keyspace, String key) {
        throw byEvents(keyspace, key);
    }

    @Override
    public void put(Exchange ex, KeyspaceConfig keyspace, String key) {
        throw byEvents(keyspace, key);
    }

    @Override
    public void delete(Exchange ex, KeyspaceConfig keyspace, String key) {
        throw byEvents(keyspace, key);
    }

    private static MeridianException byEvents(KeyspaceConfig keyspace, String stream) {
        return new MeridianException(ProblemType.WRONG_POLICY, "'" + keyspace.name() + "' is an event-log keyspace: its"
                + " streams are appended to with POST /v1/events/" + keyspace.name() + "/" + stream + " and read with GET"
                + " /v1/events/" + keyspace.name() + "/" + stream + "; events are never overwritten or deleted",
                Map.of("keyspace", keyspace.name()));
    }

    /** Lists the keyspace's streams: each one's last version and home. */
    @Override
    public void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws InterruptedException {
        Requests.checkScanParameters(query);
        SessionToken token = routes.token(ex);
        Optional<Optional<Long>> served = route(ex, keyspace, Optional.empty(), token);
        if (served.isEmpty()) {
            return;
        }
        routes.readHeaders(ex, served.get(), token);
        ReplicatedStore.ScanResult page = engine.store().scan(keyspace.name(), query.getOrDefault("prefix", ""),
                Optional.ofNullable(query.get("after")), Requests.limit(query.get("limit")));
        List<Map<String, Object>> items = page.items().stream().map(e -> {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("stream", e.key());
            item.put("last_version", EventCodec.decode(e.value()).lastVersion());
            item.put("home", e.home());
            item.put("version", ReplicationEngine.tag(e));
            return item;
        }).toList();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("keyspace", keyspace.name());
        answer.put("region", region);
        answer.put("items", items);
        answer.put("next", page.next().orElse(null));
        ex.sendJson(200, answer);
    }

    @Override
    public void moveHome(Exchange ex, KeyspaceConfig keyspace, String key, Map<String, String> query) throws Exception {
        routes.moveHome(ex, keyspace, key, query);
    }

    /** An event log's change feed is its {@code $all}: every event in this region's order. */
    @Override
    public void changes(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws Exception {
        readAll(ex, keyspace, query);
    }

    @Override
    public void conflicts(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) {
        routes.conflicts(ex, keyspace, query);
    }
}
