package io.meridian.node.engine;

import io.meridian.core.Headers;
import io.meridian.core.Keys;
import io.meridian.core.Preconditions;
import io.meridian.core.Versions;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.node.http.Exchange;
import io.meridian.node.http.Requests;
import io.meridian.storage.ScanPage;
import io.meridian.storage.Store;
import io.meridian.storage.StoredValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The engine of {@code local} keyspaces, whose data stays in the region that wrote it: one copy,
 * read and written here, versions from the store.
 */
final class LocalEngine implements KeyspaceEngine {
    private final String region;
    private final Store store;

    LocalEngine(String region, Store store) {
        this.region = region;
        this.store = store;
    }

    @Override
    public void get(Exchange ex, KeyspaceConfig keyspace, String key) {
        byte[] keyBytes = Keys.validate(key);
        Preconditions conditions = Requests.preconditions(ex);
        ex.header(Headers.STALENESS, "0"); // a local keyspace's only copy is this one
        StoredValue value = store.get(keyspace.name(), keyBytes).orElseThrow(() -> Requests.notFound(keyspace, key));
        ex.header("ETag", Versions.etag(value.version()));
        ex.header("Last-Modified", Requests.httpDate(value.modifiedMillis()));
        if (conditions.ifNoneMatch() != null && conditions.ifNoneMatch().matches(value.version())) {
            ex.sendEmpty(304);
            return;
        }
        ex.send(200, value.contentType(), value.value());
    }

    @Override
    public void put(Exchange ex, KeyspaceConfig keyspace, String key) throws IOException {
        byte[] keyBytes = Keys.validate(key);
        String contentType = Requests.contentType(ex);
        Preconditions conditions = Requests.preconditions(ex);
        byte[] body = ex.body(keyspace.maxValueBytes(), keyspace.name());
        io.meridian.core.Idempotency idempotency = Requests.idempotency(ex, keyspace.name(), body, "PUT", key, contentType);
        // The store commits local writes in groups, one fsync each: the request's thread does not wait for it.
        ex.answerWhen(store.putAsync(keyspace.name(), keyBytes, body, contentType, conditions, idempotency), result -> {
            if (result.replayed()) {
                Requests.replayed(ex);
            }
            ex.header("ETag", Versions.etag(result.stored().version()));
            ex.sendJson(result.created() ? 201 : 200,
                    new Requests.WriteResult(keyspace.name(), key, Long.toString(result.stored().version()), region, null));
        });
    }

    @Override
    public void delete(Exchange ex, KeyspaceConfig keyspace, String key) {
        byte[] keyBytes = Keys.validate(key);
        io.meridian.core.Idempotency idempotency = Requests.idempotency(ex, keyspace.name(), new byte[0], "DELETE", key);
        ex.answerWhen(store.deleteAsync(keyspace.name(), keyBytes, Requests.preconditions(ex), idempotency), deleted -> {
            if (deleted.version().isEmpty()) {
                throw Requests.notFound(keyspace, key);
            }
            if (deleted.replayed()) {
                Requests.replayed(ex);
            }
            ex.sendEmpty(204);
        });
    }

    @Override
    public void scan(Exchange ex, KeyspaceConfig keyspace, Map<String, String> query) {
        Requests.checkScanParameters(query);
        byte[] prefix = query.getOrDefault("prefix", "").getBytes(StandardCharsets.UTF_8);
        Optional<byte[]> after = Optional.ofNullable(query.get("after")).map(a -> a.getBytes(StandardCharsets.UTF_8));
        int limit = Requests.limit(query.get("limit"));
        ScanPage page = store.scan(keyspace.name(), prefix, after, limit);
        ex.header(Headers.STALENESS, "0");
        List<Requests.ScanItem> items = page.items().stream().map(Requests::item).toList();
        ex.sendJson(200, new Requests.ScanResult(keyspace.name(), region, items, page.next().map(Keys::fromBytes).orElse(null)));
    }

}
