package io.meridian.node.engine;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.node.http.Exchange;
import java.util.List;
import java.util.Map;

/**
 * How one keyspace's requests run, per its policy: {@link Engines#create} picks the engine, the
 * HTTP layer parses the path and hands the request over. An engine decides where the request
 * runs (here, forwarded, refused), waits for what it needs, and answers. Operations a policy
 * does not have answer {@code 409 wrong-policy} saying which policy has them.
 */
public interface KeyspaceEngine {
    /** {@code GET|HEAD /v1/kv/{keyspace}/{key}}. */
    void get(Exchange ex, KeyspaceConfig keyspace, String key) throws Exception;

    /** {@code PUT /v1/kv/{keyspace}/{key}}. */
    void put(Exchange ex, KeyspaceConfig keyspace, String key) throws Exception;

    /** {@code DELETE /v1/kv/{keyspace}/{key}}. */
    void delete(Exchange ex, KeyspaceConfig keyspace, String key) throws Exception;

    /** {@code GET /v1/kv/{keyspace}?prefix&after&limit}. */
    void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws Exception;

    /** {@code POST /v1/kv/{keyspace}/{key}/move-home?to=REGION}: home-region keyspaces only. */
    default void moveHome(Exchange ex, KeyspaceConfig keyspace, String key, Map<String, String> query) throws Exception {
        throw new MeridianException(ProblemType.WRONG_POLICY, "keyspace '" + keyspace.name() + "' is "
                + keyspace.policy().name() + "; only home-region keys have a home to move", Map.of("keyspace", keyspace.name()));
    }

    /** {@code POST /v1/crdt/{keyspace}/{key}}: operations on a CRDT; crdt keyspaces only. */
    default void crdt(Exchange ex, KeyspaceConfig keyspace, String key) throws Exception {
        throw new MeridianException(ProblemType.WRONG_POLICY, "CRDT operations need a crdt keyspace; '" + keyspace.name()
                + "' is " + keyspace.policy().name() + ": write it with PUT /v1/kv/" + keyspace.name() + "/{key}",
                Map.of("keyspace", keyspace.name()));
    }

    /** {@code POST /v1/events/{keyspace}/{stream}}: appends events; event-log keyspaces only. */
    default void append(Exchange ex, KeyspaceConfig keyspace, String stream) throws Exception {
        throw notAnEventLog(keyspace);
    }

    /**
     * {@code GET /v1/events/{keyspace}/{stream}} (or {@code $all}): reads events, or subscribes
     * with {@code Accept: text/event-stream}; event-log keyspaces only.
     */
    default void events(Exchange ex, KeyspaceConfig keyspace, String stream, Map<String, String> query) throws Exception {
        throw notAnEventLog(keyspace);
    }

    /**
     * {@code GET /v1/changes/{keyspace}?from=POSITION&limit=N} (or subscribed with {@code Accept:
     * text/event-stream}): the keyspace's writes in this region's apply order. Replicated
     * keyspaces have one; local ones say they do not.
     */
    default void changes(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws Exception {
        throw new MeridianException(ProblemType.NOT_IMPLEMENTED, "change feeds of " + keyspace.policy().name()
                + " keyspaces are not implemented yet: '" + keyspace.name() + "' has none (its writes commit in parallel"
                + " with no order to number them in); every replicated policy has one", Map.of("keyspace", keyspace.name()));
    }

    /**
     * {@code GET /v1/events/{keyspace}/{stream}/state?projection=NAME&version=N|at=TIME}: a
     * stream's projected state as of a version or a time; event-log keyspaces only.
     */
    default void eventState(Exchange ex, KeyspaceConfig keyspace, String stream, Map<String, String> query) throws Exception {
        throw notAnEventLog(keyspace);
    }

    private static MeridianException notAnEventLog(KeyspaceConfig keyspace) {
        return new MeridianException(ProblemType.WRONG_POLICY, "events need an event-log keyspace; '" + keyspace.name()
                + "' is " + keyspace.policy().name(), Map.of("keyspace", keyspace.name()));
    }

    /** {@code POST /v1/txn/{keyspace}}: strong keyspaces only. */
    default void txn(Exchange ex, KeyspaceConfig keyspace) throws Exception {
        throw new MeridianException(ProblemType.WRONG_POLICY, "transactions need a strong keyspace; '"
                + keyspace.name() + "' is " + keyspace.policy().name(), Map.of("keyspace", keyspace.name()));
    }

    /**
     * {@code GET /v1/conflicts/{keyspace}}: the writes that lost a conflict. Where nothing resolves
     * conflicts (one copy, or consensus) the feed is empty, in the same shape.
     */
    default void conflicts(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) throws Exception {
        Map<String, Object> empty = new java.util.LinkedHashMap<>();
        empty.put("keyspace", keyspace.name());
        empty.put("region", ex.region());
        empty.put("items", List.of());
        empty.put("next", null);
        ex.sendJson(200, empty);
    }
}
