package io.meridian.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.core.Consistency;
import io.meridian.core.Headers;
import io.meridian.core.Keys;
import io.meridian.core.MeridianException;
import io.meridian.core.Policy;
import io.meridian.core.Preconditions;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.txn.TxnParser;
import io.meridian.replication.strong.ConsensusServer;
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
 * The API of strong keyspaces: every write is a transaction committed through the keyspace's
 * Raft group (quorum, or every region with {@code sync: all}); reads are linearizable by default
 * ({@code Meridian-Consistency: strong}, read index at the leader), or served by this region's
 * replica for {@code bounded=Δ} (when it heard from the leader within Δ) and {@code eventual}.
 * Values are UTF-8 text, so that integers can be added to; versions are Raft log indexes.
 */
final class StrongKvApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String region;
    private final ConsensusServer consensus;
    private final Map<String, StrongStore> stores;

    StrongKvApi(String region, ConsensusServer consensus, Map<String, StrongStore> stores) {
        this.region = region;
        this.consensus = consensus;
        this.stores = stores;
    }

    void get(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        Keys.validate(key);
        Preconditions conditions = KvApi.preconditions(ex);
        JsonNode read = read(ex, keyspace, key);
        if (!read.has("value")) {
            throw KvApi.notFound(keyspace, key);
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
        ConsensusServer.GroupView view = consensus.view(keyspace.name());
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

    void put(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        Keys.validate(key);
        Preconditions conditions = KvApi.preconditions(ex);
        String value = utf8(ex.body(keyspace.maxValueBytes(), keyspace.name()), keyspace);
        ObjectNode txn = JSON.createObjectNode();
        ArrayNode ifs = txn.putArray("if");
        addConditions(ifs, key, conditions);
        boolean conditional = !ifs.isEmpty();
        if (!conditional) {
            ifs.addObject().put("key", key).put("exists", false);
        }
        ObjectNode put = JSON.createObjectNode();
        put.putObject("put").put("key", key).put("value", value);
        txn.putArray("then").add(put);
        if (!conditional) {
            txn.putArray("else").add(put.deepCopy());
        }
        JsonNode reply = submit(keyspace, txn);
        if (conditional && !reply.path("succeeded").asBoolean()) {
            throw preconditionFailed(keyspace, key);
        }
        String version = reply.path("results").get(0).path("version").asText();
        ex.header("ETag", Versions.etag(version));
        boolean created = !conditional && reply.path("succeeded").asBoolean();
        ex.sendJson(created ? 201 : 200, new KvApi.WriteResult(keyspace.name(), key, version, region, null));
    }

    void delete(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        Keys.validate(key);
        Preconditions conditions = KvApi.preconditions(ex);
        ObjectNode txn = JSON.createObjectNode();
        ArrayNode ifs = txn.putArray("if");
        ifs.addObject().put("key", key).put("exists", true);
        addConditions(ifs, key, conditions);
        txn.putArray("then").addObject().putObject("delete").put("key", key);
        JsonNode reply = submit(keyspace, txn);
        if (!reply.path("succeeded").asBoolean()) {
            if (ifs.size() > 1 && JSON.readTree(consensus.readLinearizable(keyspace.name(), key)).has("value")) {
                throw preconditionFailed(keyspace, key);
            }
            throw KvApi.notFound(keyspace, key);
        }
        ex.sendEmpty(204);
    }

    void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws IOException {
        KvApi.checkScanParameters(query);
        Consistency consistency = Consistency.parse(ex.header(Consistency.HEADER));
        if (!(consistency instanceof Consistency.Eventual || consistency instanceof Consistency.Bounded)) {
            throw new MeridianException(ProblemType.WRONG_POLICY, "scans of strong keyspace '" + keyspace.name()
                    + "' read this region's replica: ask for Meridian-Consistency: eventual or bounded=<ms>",
                    Map.of("keyspace", keyspace.name()));
        }
        ConsensusServer.GroupView view = consensus.view(keyspace.name());
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
                Optional.ofNullable(query.get("after")), KvApi.limit(query.get("limit")), next);
        List<KvApi.ScanItem> out = items.stream().map(i -> new KvApi.ScanItem(i.key(), Long.toString(i.version()),
                "text/plain; charset=utf-8", i.value(), null, null)).toList();
        ex.sendJson(200, new KvApi.ScanResult(keyspace.name(), region, out, next[0]));
    }

    /** {@code POST /v1/txn/{keyspace}}: the body is checked here, then committed as one log entry. */
    void txn(Exchange ex, KeyspaceConfig keyspace) throws IOException {
        byte[] body = ex.body(Math.max(keyspace.maxValueBytes(), 1L << 20), keyspace.name());
        TxnParser.parse(body);
        JsonNode reply = submit(keyspace, JSON.readTree(body));
        ObjectNode out = JSON.createObjectNode();
        out.put("succeeded", reply.path("succeeded").asBoolean());
        out.set("results", reply.path("results"));
        ex.send(200, Exchange.JSON, JSON.writeValueAsBytes(out));
    }

    private JsonNode submit(KeyspaceConfig keyspace, JsonNode txn) throws IOException {
        boolean all = ((Policy.Strong) keyspace.policy()).sync() == Policy.SyncMode.ALL;
        String answer;
        try {
            answer = consensus.submit(keyspace.name(), JSON.writeValueAsBytes(txn), all);
        } catch (IOException e) {
            throw unavailable(keyspace, e);
        }
        JsonNode reply = JSON.readTree(answer);
        if (reply.has("error")) {
            Map<String, Object> ext = new LinkedHashMap<>();
            reply.fields().forEachRemaining(f -> {
                if (!List.of("error", "detail").contains(f.getKey())) {
                    ext.put(f.getKey(), f.getValue().asText());
                }
            });
            throw new MeridianException(ProblemType.fromUri(reply.path("error").asText()), reply.path("detail").asText(), ext);
        }
        return reply;
    }

    private static void addConditions(ArrayNode ifs, String key, Preconditions conditions) {
        if (conditions.ifMatch() != null) {
            if (conditions.ifMatch().any()) {
                ifs.addObject().put("key", key).put("exists", true);
            } else {
                List<String> tags = conditions.ifMatch().tags();
                if (tags.size() != 1 || !tags.getFirst().chars().allMatch(Character::isDigit) || tags.getFirst().isEmpty()) {
                    throw new MeridianException(ProblemType.MALFORMED_HEADER, "If-Match on a strong keyspace takes * or one"
                            + " version such as \"42\"; got " + tags, Map.of("header", "If-Match"));
                }
                ifs.addObject().put("key", key).put("version", Long.parseLong(tags.getFirst()));
            }
        }
        if (conditions.ifNoneMatch() != null) {
            if (!conditions.ifNoneMatch().any()) {
                throw new MeridianException(ProblemType.MALFORMED_HEADER, "If-None-Match on a write takes only *",
                        Map.of("header", "If-None-Match"));
            }
            ifs.addObject().put("key", key).put("exists", false);
        }
    }

    private static String utf8(byte[] body, KeyspaceConfig keyspace) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new MeridianException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "values of strong keyspace '" + keyspace.name()
                    + "' are UTF-8 text (so integers can be added); this body is not", Map.of("keyspace", keyspace.name()));
        }
    }

    private static MeridianException preconditionFailed(KeyspaceConfig keyspace, String key) {
        return new MeridianException(ProblemType.PRECONDITION_FAILED, "'" + key + "' in '" + keyspace.name()
                + "': the conditions of the request do not hold", Map.of("key", key));
    }

    private static MeridianException unavailable(KeyspaceConfig keyspace, IOException e) {
        return new MeridianException(ProblemType.UNAVAILABLE, "the consensus group of '" + keyspace.name()
                + "' did not answer: " + e.getMessage(), Map.of("keyspace", keyspace.name()));
    }
}
