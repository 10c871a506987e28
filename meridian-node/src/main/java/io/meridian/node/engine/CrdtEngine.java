package io.meridian.node.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.core.Consistency;
import io.meridian.core.Headers;
import io.meridian.core.Keys;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import io.meridian.core.api.ApiJson;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.crdt.CrdtCodec;
import io.meridian.core.crdt.CrdtException;
import io.meridian.core.crdt.CrdtOp;
import io.meridian.core.crdt.CrdtState;
import io.meridian.core.crdt.CrdtType;
import io.meridian.core.crdt.Crdts;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import io.meridian.core.replication.SessionToken;
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

/**
 * The engine of {@code crdt} keyspaces: every region applies operations at once, and regions
 * merge what they receive, so no write ever conflicts. An operation
 * ({@code POST /v1/crdt/{keyspace}/{key}}) becomes a small delta under the replication lock:
 * the key's state joined with it is stored, the delta is logged and travels on the replication
 * streams like any write (snapshots carry whole states). Reads, sessions and consistency levels
 * are those of the other asynchronous keyspaces (the same router); the value is shown as JSON.
 */
final class CrdtEngine implements KeyspaceEngine {
    /** The response header naming the keyspace's CRDT type. */
    static final String TYPE_HEADER = "Meridian-Crdt-Type";

    private final String region;
    private final CrdtType type;
    private final ReplicationEngine engine;
    private final ReplicatedEngine routes;

    CrdtEngine(String region, CrdtType type, ReplicationEngine engine, ReplicatedEngine routes) {
        this.region = region;
        this.type = type;
        this.engine = engine;
        this.routes = routes;
    }

    @Override
    public void get(Exchange ex, KeyspaceConfig keyspace, String key) throws InterruptedException {
        Keys.validate(key);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        SessionToken token = routes.token(ex);
        Optional<Optional<Long>> served = routes.routeRead(ex, keyspace, () -> new Router.Read(keyspace.name(),
                keyspace.policy().name(), Optional.of(key), consistency, token, "", engine.current(keyspace.name(), key).isPresent(),
                false));
        if (served.isEmpty()) {
            return;
        }
        routes.readHeaders(ex, served.get(), token);
        Entry e = engine.current(keyspace.name(), key).orElseThrow(() -> Requests.notFound(keyspace, key));
        String version = ReplicationEngine.tag(e);
        ex.header("ETag", Versions.etag(version));
        ex.header("Last-Modified", Requests.httpDate(e.hlc().physicalMillis()));
        ex.header(TYPE_HEADER, type.name());
        ex.sendJson(200, Crdts.value(type, CrdtCodec.decode(e.value()).store()));
    }

    @Override
    public void crdt(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException, InterruptedException {
        Keys.validate(key);
        SessionToken token = routes.token(ex);
        byte[] body = ex.body(keyspace.maxValueBytes(), keyspace.name());
        List<CrdtOp> ops = parse(body);
        io.meridian.core.Idempotency idempotency = Requests.idempotency(ex, keyspace.name(), body, "CRDT", key);
        if (!routes.routeWrite(ex, keyspace, token, () -> new Router.Write(keyspace.name(), key, token, "", false), body)) {
            return;
        }
        // Made by the region's replicated writer; answered once durable, without holding this thread for the fsync.
        ex.answerWhen(engine.writeMergedAsync(keyspace.name(), key, CrdtCodec.CONTENT_TYPE, (current, stamp) -> {
            try {
                CrdtState state = current.map(CrdtCodec::decode).orElse(CrdtState.empty(type));
                CrdtState delta = Crdts.delta(type, state, ops, region, stamp);
                int size = CrdtCodec.encode(state.join(delta)).length;
                if (size > keyspace.maxValueBytes()) {
                    throw new MeridianException(ProblemType.VALUE_TOO_LARGE, "after this operation '" + key + "' would take "
                            + size + " bytes, over the " + keyspace.maxValueBytes() + " bytes keyspace '" + keyspace.name()
                            + "' allows", Map.of("limit_bytes", keyspace.maxValueBytes()));
                }
                return CrdtCodec.encode(delta);
            } catch (CrdtException e) {
                throw invalid(e.getMessage());
            }
        }, idempotency), w -> answerMerged(ex, keyspace, key, token, w));
    }

    private void answerMerged(Exchange ex, KeyspaceConfig keyspace, String key, SessionToken token, Replica.Written w) {
        Entry e = w.entry();
        // A retry is answered with the write it repeats and the key's value now (which holds it).
        byte[] value = w.replayed() ? engine.current(keyspace.name(), key).map(Entry::value).orElseThrow() : e.value();
        if (w.replayed()) {
            Requests.replayed(ex);
        } else {
            ex.afterAnswer(() -> engine.answered(e));
        }
        String version = ReplicationEngine.tag(e);
        ex.header("ETag", Versions.etag(version));
        ex.header(Headers.SESSION, token.with(e.stamp()).format());
        ex.header(TYPE_HEADER, type.name());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("keyspace", keyspace.name());
        answer.put("key", key);
        answer.put("version", version);
        answer.put("region", region);
        answer.put("type", type.name());
        answer.put("value", Crdts.value(type, CrdtCodec.decode(value).store()));
        ex.sendJson((w.replayed() ? w.entry().idempotency().created() : w.replaced().isEmpty()) ? 201 : 200, answer);
    }

    private List<CrdtOp> parse(byte[] body) {
        JsonNode json;
        try {
            json = ApiJson.MAPPER.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw invalid("the body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("the body cannot be read: " + e.getMessage());
        }
        try {
            return CrdtOp.parse(json);
        } catch (CrdtException e) {
            throw invalid(e.getMessage());
        }
    }

    private MeridianException invalid(String detail) {
        return new MeridianException(ProblemType.INVALID_OPERATION, detail, Map.of("crdt_type", type.name()));
    }

    @Override
    public void put(Exchange ex, KeyspaceConfig keyspace, String key) {
        throw byOperations(ex, keyspace, key, "PUT");
    }

    @Override
    public void delete(Exchange ex, KeyspaceConfig keyspace, String key) {
        throw byOperations(ex, keyspace, key, "DELETE");
    }

    private MeridianException byOperations(Exchange ex, KeyspaceConfig keyspace, String key, String method) {
        ex.header("Allow", "GET, HEAD");
        return new MeridianException(ProblemType.METHOD_NOT_ALLOWED, method + " does not apply to '" + keyspace.name()
                + "', a " + type.name() + " CRDT keyspace: change its values with operations, POST /v1/crdt/"
                + keyspace.name() + "/" + key + " (for example " + example() + ")", Map.of("crdt_type", type.name()));
    }

    private String example() {
        return switch (type) {
            case CrdtType.Counter c -> "{\"increment\": 1}";
            case CrdtType.Set c -> "{\"add\": [\"a\"]}";
            case CrdtType.Register c -> "{\"set\": \"v\"}";
            case CrdtType.MultiValue c -> "{\"set\": \"v\"}";
            case CrdtType.Sequence c -> "{\"insert\": {\"value\": \"x\"}}";
            case CrdtType.Map m -> "{\"update\": {\"field\": ...}}";
        };
    }

    @Override
    public void changes(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws InterruptedException {
        routes.changes(ex, keyspace, query);
    }

    @Override
    public void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws InterruptedException {
        Requests.checkScanParameters(query);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        SessionToken token = routes.token(ex);
        Optional<Optional<Long>> served = routes.routeRead(ex, keyspace, () -> new Router.Read(keyspace.name(),
                keyspace.policy().name(), Optional.empty(), consistency, token, "", false, false));
        if (served.isEmpty()) {
            return;
        }
        routes.readHeaders(ex, served.get(), token);
        ex.header(TYPE_HEADER, type.name());
        ReplicatedStore.ScanResult page = engine.store().scan(keyspace.name(), query.getOrDefault("prefix", ""),
                Optional.ofNullable(query.get("after")), Requests.limit(query.get("limit")));
        List<Requests.ScanItem> items = page.items().stream().map(e -> Requests.item(e.key(), ReplicationEngine.tag(e),
                "application/json", ApiJson.bytes(Crdts.value(type, CrdtCodec.decode(e.value()).store())))).toList();
        ex.sendJson(200, new Requests.ScanResult(keyspace.name(), region, items, page.next().orElse(null)));
    }
}
