package io.meridian.node.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.Consistency;
import io.meridian.core.Headers;
import io.meridian.core.Keys;
import io.meridian.core.KeyspaceRules;
import io.meridian.core.MeridianException;
import io.meridian.core.Preconditions;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.txn.Txn;
import io.meridian.core.txn.TxnParser;
import io.meridian.node.http.Exchange;
import io.meridian.node.http.Requests;
import io.meridian.replication.strong.ConsensusServer;
import io.meridian.replication.strong.TxnCodec;
import io.meridian.replication.strong.TxnJson;
import io.meridian.storage.StrongStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The engine of strong keyspaces: every write is a transaction committed through the keyspace's
 * Raft group (quorum, or every region with {@code sync: all}); reads are linearizable by default
 * ({@code Meridian-Consistency: strong}, read index at the leader), or served by this region's
 * replica for {@code bounded=Δ} (when it heard from the leader within Δ) and {@code eventual}.
 * Values are UTF-8 text, so that integers can be added to; versions are Raft log indexes.
 */
final class StrongEngine implements KeyspaceEngine {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String region;
    private final ConsensusServer consensus;
    private final Map<String, StrongStore> stores;

    private final Map<String, Feed> feeds = new java.util.concurrent.ConcurrentHashMap<>();

    StrongEngine(String region, ConsensusServer consensus, Map<String, StrongStore> stores) {
        this.region = region;
        this.consensus = consensus;
        this.stores = stores;
    }

    @Override
    public void get(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        Keys.validate(key);
        Preconditions conditions = Requests.preconditions(ex);
        JsonNode read = read(ex, keyspace, key);
        if (!read.has("value")) {
            throw Requests.notFound(keyspace, key);
        }
        String version = read.path("version").asText();
        ex.header("ETag", Versions.etag(version));
        if (conditions.ifNoneMatch() != null && conditions.ifNoneMatch().matches(version)) {
            ex.sendEmpty(304);
            return;
        }
        ex.send(200, "text/plain; charset=utf-8", read.path("value").asText().getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode read(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        io.meridian.core.api.StrongGroupView view = consensus.view(keyspace.name());
        boolean local = switch (consistency) {
            case Consistency.Strong s -> false;
            case Consistency.Session s -> false; // a linearizable read includes every write of the session
            case Consistency.Eventual e -> true;
            case Consistency.Bounded b -> view.leaderSilentMillis() >= 0 && view.leaderSilentMillis() <= b.maxStalenessMillis();
        };
        String answer;
        try {
            answer = local ? consensus.readLocal(keyspace.name(), key) : consensus.readLinearizable(keyspace.name(), key);
        } catch (IOException e) {
            throw unavailable(keyspace, e);
        }
        ex.header(Headers.STALENESS, !local || view.isLeader() ? "0"
                : view.leaderSilentMillis() >= 0 ? Long.toString(view.leaderSilentMillis()) : "unbounded");
        return JSON.readTree(answer);
    }

    @Override
    public void put(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        Keys.validate(key);
        Preconditions conditions = Requests.preconditions(ex);
        String value = utf8(ex.body(keyspace.maxValueBytes(), keyspace.name()), keyspace);
        List<Txn.Compare> ifs = conditions(key, conditions);
        boolean conditional = !ifs.isEmpty();
        Txn.Op put = new Txn.Op.Put(key, value);
        // Unconditional: "create if absent, else overwrite" in one entry, so the answer can say 201 or 200.
        Txn txn = conditional ? new Txn(ifs, List.of(put), List.of())
                : new Txn(List.of(new Txn.Compare.Exists(key, false)), List.of(put), List.of(put));
        TxnCodec.Reply.Committed reply = submit(keyspace, txn, requestId(ex, keyspace, value.getBytes(StandardCharsets.UTF_8),
                "PUT", key, String.valueOf(ex.header("If-Match")), String.valueOf(ex.header("If-None-Match"))));
        if (conditional && !reply.succeeded()) {
            throw preconditionFailed(keyspace, key, current(keyspace, key));
        }
        String version = Long.toString(reply.results().getFirst().version());
        ex.header("ETag", Versions.etag(version));
        boolean created = !conditional && reply.succeeded();
        ex.sendJson(created ? 201 : 200, new Requests.WriteResult(keyspace.name(), key, version, region, null));
    }

    @Override
    public void delete(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        Keys.validate(key);
        Preconditions conditions = Requests.preconditions(ex);
        List<Txn.Compare> ifs = new java.util.ArrayList<>();
        ifs.add(new Txn.Compare.Exists(key, true));
        ifs.addAll(conditions(key, conditions));
        TxnCodec.Reply.Committed reply = submit(keyspace, new Txn(ifs, List.of(new Txn.Op.Delete(key)), List.of()),
                requestId(ex, keyspace, new byte[0], "DELETE", key, String.valueOf(ex.header("If-Match"))));
        if (!reply.succeeded()) {
            com.fasterxml.jackson.databind.JsonNode now = JSON.readTree(consensus.readLinearizable(keyspace.name(), key));
            if (ifs.size() > 1 && now.has("value")) {
                throw preconditionFailed(keyspace, key, now.path("version").asText(null));
            }
            throw Requests.notFound(keyspace, key);
        }
        ex.sendEmpty(204);
    }

    @Override
    public void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws IOException {
        Requests.checkScanParameters(query);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        if (!(consistency instanceof Consistency.Eventual || consistency instanceof Consistency.Bounded)) {
            throw new MeridianException(ProblemType.WRONG_POLICY, "scans of strong keyspace '" + keyspace.name()
                    + "' read this region's replica: ask for Meridian-Consistency: eventual or bounded=<ms>",
                    Map.of("keyspace", keyspace.name()));
        }
        io.meridian.core.api.StrongGroupView view = consensus.view(keyspace.name());
        if (consistency instanceof Consistency.Bounded b && !view.isLeader()
                && (view.leaderSilentMillis() < 0 || view.leaderSilentMillis() > b.maxStalenessMillis())) {
            throw new MeridianException(ProblemType.UNAVAILABLE, "this replica last heard from the leader "
                    + view.leaderSilentMillis() + " ms ago, over the " + b.maxStalenessMillis() + " ms asked",
                    Map.of("keyspace", keyspace.name()));
        }
        ex.header(Headers.STALENESS, view.isLeader() ? "0"
                : view.leaderSilentMillis() >= 0 ? Long.toString(view.leaderSilentMillis()) : "unbounded");
        String[] next = new String[1];
        List<StrongStore.Item> items = stores.get(keyspace.name()).scan(query.getOrDefault("prefix", ""),
                Optional.ofNullable(query.get("after")), Requests.limit(query.get("limit")), next);
        List<Requests.ScanItem> out = items.stream().map(i -> new Requests.ScanItem(i.key(), Long.toString(i.version()),
                "text/plain; charset=utf-8", i.value(), null, null)).toList();
        ex.sendJson(200, new Requests.ScanResult(keyspace.name(), region, out, next[0]));
    }

    /** {@code POST /v1/txn/{keyspace}}: the body is checked here, then committed as one log entry. */
    @Override
    public void txn(Exchange ex, KeyspaceConfig keyspace) throws IOException {
        byte[] body = ex.body(Math.max(keyspace.maxValueBytes(), 1L << 20), keyspace.name());
        TxnCodec.Reply.Committed reply = submit(keyspace, TxnParser.parse(body), requestId(ex, keyspace, body, "TXN"));
        ex.send(200, Exchange.JSON, JSON.writeValueAsBytes(TxnJson.results(reply.succeeded(), reply.results())));
    }

    /**
     * The Raft request id of a request: random, or, when the client sent an {@code Idempotency-Key},
     * derived from it and the request's fingerprint, so a retry (here or in any region) is the
     * same request to the state machine, which applies it once and answers it as it did. A key
     * sent again with another request is another request (it is not refused, as in other policies:
     * the state machine keeps replies by request id only).
     */
    private static java.util.UUID requestId(Exchange ex, KeyspaceConfig keyspace, byte[] body, String... parts) {
        io.meridian.core.Idempotency idempotency = Requests.idempotency(ex, keyspace.name(), body, parts);
        if (idempotency.isNone()) {
            return java.util.UUID.randomUUID();
        }
        return java.util.UUID.nameUUIDFromBytes((keyspace.name() + "\0" + idempotency.key() + "\0"
                + Long.toHexString(idempotency.fingerprint())).getBytes(StandardCharsets.UTF_8));
    }

    private TxnCodec.Reply.Committed submit(KeyspaceConfig keyspace, Txn txn, java.util.UUID requestId) throws IOException {
        TxnCodec.Reply reply;
        try {
            reply = consensus.submit(keyspace.name(), txn, KeyspaceRules.of(keyspace.policy()).commitEverywhere(), requestId);
        } catch (IOException e) {
            throw unavailable(keyspace, e);
        }
        return switch (reply) {
            case TxnCodec.Reply.Committed c -> c;
            case TxnCodec.Reply.Failed f -> throw new MeridianException(f.type(), f.detail(), new LinkedHashMap<>(f.extensions()));
            case TxnCodec.Reply.Replayed r -> throw new IllegalStateException("a new entry answered as replayed");
        };
    }

    /** The conditions of If-Match / If-None-Match as compares on the key. */
    private static List<Txn.Compare> conditions(String key, Preconditions conditions) {
        List<Txn.Compare> ifs = new java.util.ArrayList<>();
        if (conditions.ifMatch() != null) {
            if (conditions.ifMatch().any()) {
                ifs.add(new Txn.Compare.Exists(key, true));
            } else {
                List<String> tags = conditions.ifMatch().tags();
                if (tags.size() != 1 || !tags.getFirst().chars().allMatch(Character::isDigit) || tags.getFirst().isEmpty()) {
                    throw new MeridianException(ProblemType.MALFORMED_HEADER, "If-Match on a strong keyspace takes * or one"
                            + " version such as \"42\"; got " + tags, Map.of("header", "If-Match"));
                }
                long version;
                try {
                    version = Long.parseLong(tags.getFirst());
                } catch (NumberFormatException e) {
                    throw new MeridianException(ProblemType.MALFORMED_HEADER, "If-Match: version " + tags.getFirst()
                            + " is out of range (versions are 64-bit)", Map.of("header", "If-Match"));
                }
                ifs.add(new Txn.Compare.Version(key, version));
            }
        }
        if (conditions.ifNoneMatch() != null) {
            if (!conditions.ifNoneMatch().any()) {
                throw new MeridianException(ProblemType.MALFORMED_HEADER, "If-None-Match on a write takes only *",
                        Map.of("header", "If-None-Match"));
            }
            ifs.add(new Txn.Compare.Exists(key, false));
        }
        return ifs;
    }

    private static String utf8(byte[] body, KeyspaceConfig keyspace) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new MeridianException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "values of strong keyspace '" + keyspace.name()
                    + "' are UTF-8 text (so integers can be added); this body is not", Map.of("keyspace", keyspace.name()));
        }
    }

    /** The key's version now (a linearizable read), null when it does not exist: what a refused condition is told. */
    private String current(KeyspaceConfig keyspace, String key) throws IOException {
        com.fasterxml.jackson.databind.JsonNode now = JSON.readTree(consensus.readLinearizable(keyspace.name(), key));
        return now.has("value") ? now.path("version").asText(null) : null;
    }

    /** A 412 with the key's version now ({@code current_version}, null when the key does not exist), as docs/api.md promises. */
    private static MeridianException preconditionFailed(KeyspaceConfig keyspace, String key, String currentVersion) {
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("key", key);
        ext.put("current_version", currentVersion == null ? null : Long.parseLong(currentVersion));
        return new MeridianException(ProblemType.PRECONDITION_FAILED, "'" + key + "' in '" + keyspace.name()
                + "': the conditions of the request do not hold; " + (currentVersion == null ? "the key does not exist"
                : "its current version is " + Versions.etag(currentVersion)), ext);
    }

    private static MeridianException unavailable(KeyspaceConfig keyspace, IOException e) {
        return new MeridianException(ProblemType.UNAVAILABLE, "the consensus group of '" + keyspace.name()
                + "' did not answer: " + e.getMessage(), Map.of("keyspace", keyspace.name()));
    }

    /** One committed change of a strong keyspace, in log order. */
    record ChangeView(long position, long logIndex, String key, String op, String value) {
    }

    record ChangePage(String keyspace, String region, long lastPosition, java.util.List<ChangeView> items, Long next) {
    }

    /**
     * The keyspace's committed changes in Raft log order, as this region applied them (a follower's
     * copy may lag the leader's; every region applies the same log in the same order).
     */
    @Override
    public void changes(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) {
        io.meridian.node.http.Requests.checkParameters(query, java.util.Set.of("from", "limit"));
        long from = io.meridian.node.http.Requests.number(query, "from", 1).orElse(1L);
        int limit = io.meridian.node.http.Requests.limit(query.get("limit"));
        StrongStore store = stores.get(keyspace.name());
        if (ex.wantsEventStream()) {
            Feed feed = feeds.computeIfAbsent(keyspace.name(), k -> new Feed(region, new Feed.Progress() {
                public Object now() {
                    return store.applied()[1];
                }

                public Object awaitChange(Object seen, java.time.Duration max) throws InterruptedException {
                    return store.awaitApplied((Long) seen, max);
                }

                public boolean closed() {
                    return store.closed();
                }
            }));
            feed.serve(ex, keyspace.name(), Feed.resumeAfter(ex, from - 1), (cursor, n) -> changes(keyspace, store, cursor + 1, n)
                    .stream().map(c -> new Feed.Item(c.position(), c.value().isPresent() ? "put" : "delete",
                            io.meridian.core.api.ApiJson.bytes(view(c)))).toList());
            return;
        }
        java.util.List<StrongStore.Change> page = changes(keyspace, store, from, limit + 1);
        Long next = page.size() > limit ? page.get(limit).position() : null;
        ex.sendJson(200, new ChangePage(keyspace.name(), region, store.lastChange(),
                page.stream().limit(limit).map(StrongEngine::view).toList(), next));
    }

    private java.util.List<StrongStore.Change> changes(KeyspaceConfig keyspace, StrongStore store, long from, int limit) {
        try {
            return store.changes(from, limit);
        } catch (io.meridian.storage.ReplicatedStore.FeedExpired e) {
            throw new MeridianException(ProblemType.FEED_POSITION_EXPIRED, "position " + from + " of the change feed of '"
                    + keyspace.name() + "' is no longer kept in " + region + " (the last " + StrongStore.CHANGES_KEPT
                    + " changes are); the oldest kept is " + e.first(), Map.of("keyspace", keyspace.name(), "first_position", e.first()));
        }
    }

    private static ChangeView view(StrongStore.Change c) {
        return new ChangeView(c.position(), c.index(), c.key(), c.value().isPresent() ? "put" : "delete", c.value().orElse(null));
    }
}
