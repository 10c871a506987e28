package io.meridian.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.Headers;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import io.meridian.core.api.ApiJson;
import io.meridian.core.api.ClusterView;
import io.meridian.core.api.FailoverView;
import io.meridian.core.replication.SessionToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A client of Meridian's HTTP API. Thread-safe; keeps connections alive. Keys are sent
 * percent-encoded byte by byte, so any UTF-8 key round-trips.
 *
 * <p>{@link #connect} gives a client of one region, which sends exactly what it is asked.
 * {@link #builder} gives a client of the deployment: it prefers the nearest healthy region (or
 * the regions named first), and when a region fails a request (no connection, no answer in time,
 * a 503) it sends the request to the next region, within a retry budget and the call's deadline,
 * honouring {@code Retry-After}. It carries the session token of every answer on its later
 * requests, so it reads its own writes wherever it fails over to, and sends every write with an
 * {@code Idempotency-Key} (the same on each attempt), so a write retried in another region is
 * applied once. See docs/client.md.
 */
public final class MeridianClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** Pauses between retries of a refusal that asks for one: from the first to the largest, doubling. */
    static final long RETRY_PAUSE_MIN_MILLIS = 50;
    static final long RETRY_PAUSE_MAX_MILLIS = 1_000;
    /** Beyond the timeout for the answer's headers, how long the rest of one exchange (the body) may take. */
    static final long EXCHANGE_MARGIN_MILLIS = 5_000;
    /** How often a client of several regions measures its round trip to each. */
    static final long PROBE_EVERY_NANOS = Duration.ofSeconds(30).toNanos();

    private final URI base;
    private final Duration timeout;
    private final Duration deadline;
    private final HttpClient http;
    private final RegionRoster roster;
    private final RetryBudget budget;
    private final boolean failover;
    private final boolean carrySession;
    private final boolean idempotencyKeys;
    private final java.util.concurrent.atomic.AtomicReference<SessionToken> session =
            new java.util.concurrent.atomic.AtomicReference<>(SessionToken.EMPTY);
    private final io.micrometer.core.instrument.MeterRegistry meters;
    private final java.util.function.LongSupplier nanoClock;
    private final java.util.concurrent.ExecutorService async = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    private final java.util.concurrent.atomic.AtomicLong lastProbe = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong failovers = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong hedges = new java.util.concurrent.atomic.AtomicLong();
    private volatile Duration hedgeAfter;
    /** Sent as {@code Authorization: Bearer} on every request; null: none. */
    private volatile String token;

    private MeridianClient(URI base, Duration timeout, javax.net.ssl.SSLContext tls) {
        this(List.of(base), List.of(), timeout, timeout, false, false, false, new RetryBudget(0, 0, 1),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), System::nanoTime, tls);
    }

    private MeridianClient(List<URI> regions, List<String> preferred, Duration timeout, Duration deadline, boolean failover,
                           boolean carrySession, boolean idempotencyKeys, RetryBudget budget,
                           io.micrometer.core.instrument.MeterRegistry meters, java.util.function.LongSupplier nanoClock,
                           javax.net.ssl.SSLContext tls) {
        this.base = regions.getFirst();
        this.timeout = timeout;
        this.deadline = deadline;
        this.roster = new RegionRoster(regions, preferred);
        this.budget = budget;
        this.failover = failover;
        this.carrySession = carrySession;
        this.idempotencyKeys = idempotencyKeys;
        this.meters = meters;
        this.nanoClock = nanoClock;
        HttpClient.Builder http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout);
        this.http = (tls == null ? http : http.sslContext(tls)).build();
    }

    /**
     * A TLS context for {@link Builder#tls} or {@link #connect(String, Duration, javax.net.ssl.SSLContext)}
     * from a certificates directory as {@code meridian certs} writes it (a lab's is
     * {@code .meridian/lab/certs}): trusting the deployment's {@code ca.crt}, and showing
     * {@code client.NAME.crt} with its key when {@code client} is not null. Read with the JDK alone.
     *
     * @throws IllegalArgumentException when a file is missing or does not load, saying which
     */
    public static javax.net.ssl.SSLContext certificates(java.nio.file.Path dir, String client) {
        try {
            return ClientCertificates.context(dir, client);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** @param url the region's base URL, e.g. {@code http://127.0.0.1:7001} */
    public static MeridianClient connect(String url) {
        return connect(url, DEFAULT_TIMEOUT);
    }

    public static MeridianClient connect(String url, Duration timeout) {
        return new MeridianClient(baseUri(url), timeout, null);
    }

    /**
     * A client of one region over HTTPS: {@code tls} trusts the deployment's CA (and shows a
     * client certificate, if it holds one); see docs/security.md.
     */
    public static MeridianClient connect(String url, Duration timeout, javax.net.ssl.SSLContext tls) {
        return new MeridianClient(baseUri(url), timeout, tls);
    }

    /**
     * A client of one region that presents an access token on every request (a deployment with
     * {@code auth.tokens: required}; see docs/security.md); {@code tls} may be null for the JDK's
     * default trust.
     */
    public static MeridianClient connect(String url, Duration timeout, javax.net.ssl.SSLContext tls, String token) {
        MeridianClient c = new MeridianClient(baseUri(url), timeout, tls);
        c.token = token;
        return c;
    }

    private static URI baseUri(String url) {
        String trimmed = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        URI uri = URI.create(trimmed);
        if (uri.getScheme() == null || uri.getAuthority() == null) {
            throw new IllegalArgumentException("'" + url + "' is not a region's base URL, such as http://127.0.0.1:7001");
        }
        return uri;
    }

    /** A client of several regions, failing over between them: see the class doc and {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a client of several regions. Defaults: 3 s per attempt, 10 s per call across
     * attempts, session tokens and idempotency keys on, a retry budget of one retry per five
     * requests plus ten a second.
     */
    public static final class Builder {
        private final List<URI> regions = new ArrayList<>();
        private List<String> preferred = List.of();
        private Duration timeout = Duration.ofSeconds(3);
        private Duration deadline = Duration.ofSeconds(10);
        private boolean sessions = true;
        private boolean idempotencyKeys = true;
        private double retryPercent = 0.2;
        private double retriesPerSecond = 10;
        private io.micrometer.core.instrument.MeterRegistry meters;
        private String discoverFrom;
        private Duration hedgeAfter;
        private javax.net.ssl.SSLContext tls;
        private String token;

        private Builder() {
        }

        /**
         * The access token to present ({@code mrd_…}, from {@code meridian tokens create}): a
         * deployment with {@code auth.tokens: required} answers 401 without one.
         */
        public Builder token(String accessToken) {
            this.token = accessToken;
            return this;
        }

        /**
         * HTTPS to regions of a deployment with {@code tls:}: a context that trusts its CA, and
         * shows a client certificate if it holds one (the JDK's default context otherwise).
         */
        public Builder tls(javax.net.ssl.SSLContext context) {
            this.tls = context;
            return this;
        }

        /** The regions' base URLs, e.g. {@code http://127.0.0.1:7001}. */
        public Builder regions(String... urls) {
            for (String url : urls) {
                regions.add(baseUri(url));
            }
            return this;
        }

        /** Learns the regions from any one of them ({@code GET /v1/cluster}) when the client is built. */
        public Builder discover(String url) {
            this.discoverFrom = url;
            return this;
        }

        /** Regions to send to first, in this order, while they are healthy (else the nearest healthy one). */
        public Builder preferredRegions(String... names) {
            this.preferred = List.of(names);
            return this;
        }

        /** How long one attempt waits for an answer before the region counts as failed. */
        public Builder timeout(Duration perAttempt) {
            this.timeout = positive(perAttempt, "timeout");
            return this;
        }

        /** How long one call may take across all its attempts. */
        public Builder deadline(Duration perCall) {
            this.deadline = positive(perCall, "deadline");
            return this;
        }

        /** Whether the client carries the session token of its answers on later requests (read-your-writes). */
        public Builder sessions(boolean carry) {
            this.sessions = carry;
            return this;
        }

        /** Whether each write is sent with an {@code Idempotency-Key}, so a retry of it is applied once. */
        public Builder idempotencyKeys(boolean send) {
            this.idempotencyKeys = send;
            return this;
        }

        /** Retries allowed: {@code percent} of a retry earned per request, and {@code perSecond} a second at least. */
        public Builder retryBudget(double percent, double perSecond) {
            if (percent < 0 || perSecond < 0) {
                throw new IllegalArgumentException("a retry budget is not negative: " + percent + ", " + perSecond);
            }
            this.retryPercent = percent;
            this.retriesPerSecond = perSecond;
            return this;
        }

        /**
         * Hedged reads: a read at {@code eventual} or {@code bounded} consistency that has no
         * answer after {@code after} is also sent to the next region, and the first answer wins
         * (the other is abandoned). It trades a little extra load for the tail latency of a slow
         * region; reads with a session or at {@code strong}/{@code session} consistency are never
         * hedged. Off by default; a delay near the nearest region's p95 is a good start.
         */
        public Builder hedgeReads(Duration after) {
            this.hedgeAfter = positive(after, "hedge delay");
            return this;
        }

        /** Where the client's metrics go (requests and latency per region, failovers); a private registry if unset. */
        public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
            this.meters = registry;
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("the " + what + " must be positive: " + d);
            }
            return d;
        }

        /**
         * The client; it measures its round trip to each region first (a health probe each,
         * within the timeout). A region that does not answer is tried last until it does.
         */
        public MeridianClient build() {
            List<URI> urls = new ArrayList<>(regions);
            if (discoverFrom != null) {
                try (MeridianClient one = connect(discoverFrom, timeout, tls, token)) {
                    for (ClusterView.Region r : one.cluster().regions()) {
                        if (r.url() != null && !r.url().isBlank() && urls.stream().noneMatch(u -> u.equals(baseUri(r.url())))) {
                            urls.add(baseUri(r.url()));
                        }
                    }
                }
            }
            if (urls.isEmpty()) {
                throw new IllegalArgumentException("no regions: name them with regions(...) or discover(url)");
            }
            MeridianClient client = new MeridianClient(urls, preferred, timeout, deadline, true, sessions, idempotencyKeys,
                    new RetryBudget(retryPercent, retriesPerSecond, 100),
                    meters != null ? meters : new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), System::nanoTime, tls);
            client.hedgeAfter = hedgeAfter;
            client.token = token;
            client.probe().join();
            return client;
        }
    }

    /** The first region's base URL (for a client of one region, its region). */
    public URI baseUrl() {
        return base;
    }

    /** The region the client sends to now: the first healthy one in its order. */
    public URI preferredRegion() {
        return roster.url(roster.order(nanoClock.getAsLong()).getFirst());
    }

    /** The regions' names in the order the client tries them now (names as the regions gave them, once known). */
    public List<String> regionOrder() {
        return roster.order(nanoClock.getAsLong()).stream().map(roster::name).toList();
    }

    /** How many times a call went on to another region. */
    public long failoverCount() {
        return failovers.get();
    }

    /** The session token this client carries (empty: none yet): hand it to another client to share its session. */
    public String session() {
        return session.get().format();
    }

    /** Joins {@code token} (an earlier answer's, or another client's {@link #session()}) into the session this client carries. */
    public void joinSession(String token) {
        if (token != null && !token.isEmpty()) {
            SessionToken parsed = SessionToken.parse(Headers.SESSION, token);
            session.accumulateAndGet(parsed, SessionToken::merge);
        }
    }

    /** The registry holding this client's metrics. */
    public io.micrometer.core.instrument.MeterRegistry meterRegistry() {
        return meters;
    }

    /**
     * Runs {@code call} on this client without blocking the caller (on a virtual thread):
     * {@code client.async(c -> c.put("carts", "k", "2 books"))}.
     */
    public <T> java.util.concurrent.CompletableFuture<T> async(java.util.function.Function<MeridianClient, T> call) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> call.apply(this), async);
    }

    public java.util.concurrent.CompletableFuture<Written> putAsync(String keyspace, String key, String text) {
        return async(c -> c.put(keyspace, key, text));
    }

    public java.util.concurrent.CompletableFuture<Optional<Value>> getAsync(String keyspace, String key) {
        return async(c -> c.get(keyspace, key));
    }

    public java.util.concurrent.CompletableFuture<Boolean> deleteAsync(String keyspace, String key) {
        return async(c -> c.delete(keyspace, key));
    }

    /**
     * Measures the round trip to every region ({@code GET /v1/health}) and learns their names;
     * a region that does not answer is set aside as failed.
     */
    java.util.concurrent.CompletableFuture<Void> probe() {
        lastProbe.set(nanoClock.getAsLong());
        List<java.util.concurrent.CompletableFuture<?>> probes = new ArrayList<>();
        for (int i = 0; i < roster.size(); i++) {
            int region = i;
            long start = nanoClock.getAsLong();
            HttpRequest health = HttpRequest.newBuilder(roster.url(region).resolve("/v1/health")).timeout(timeout).GET().build();
            probes.add(http.sendAsync(health, HttpResponse.BodyHandlers.discarding()).handle((r, failure) -> {
                if (failure != null || r.statusCode() >= 500) {
                    roster.failed(region, nanoClock.getAsLong(), 0);
                } else {
                    roster.measured(region, (nanoClock.getAsLong() - start) / 1e6);
                    roster.named(region, r.headers().firstValue(Headers.REGION).orElse(null));
                }
                return null;
            }));
        }
        return java.util.concurrent.CompletableFuture.allOf(probes.toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    /**
     * A stored value, its version (the ETag's text: a number for local keyspaces, {@code origin:seq}
     * for replicated ones), the region that served it and, for replicated keyspaces, how stale
     * the answer may be ({@code Meridian-Staleness-Ms}, null when unbounded or not stated).
     */
    public record Value(String key, byte[] bytes, String contentType, String version, String region, Long stalenessMs,
                        String session) {
        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** The outcome of a write: the new version, whether the key was created, and the session token to send next. */
    public record Written(String key, String version, boolean created, String region, String session) {
    }

    public record ScanPage(List<Value> items, Optional<String> next) {
    }

    public Written put(String keyspace, String key, String text) {
        return put(keyspace, key, text.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8", null, null);
    }

    /**
     * @param ifMatch     write only if the key is at this version (null: unconditional)
     * @param ifNoneMatch {@code "*"} to create only (null: unconditional)
     */
    public Written put(String keyspace, String key, byte[] value, String contentType, String ifMatch, String ifNoneMatch) {
        return put(keyspace, key, value, contentType, ifMatch, ifNoneMatch, Map.of());
    }

    /** A put with extra headers, e.g. {@code Meridian-Session} or {@code Meridian-Home}. */
    public Written put(String keyspace, String key, byte[] value, String contentType, String ifMatch, String ifNoneMatch,
                       Map<String, String> headers) {
        HttpRequest.Builder b = request(itemPath(keyspace, key)).PUT(HttpRequest.BodyPublishers.ofByteArray(value))
                .header("Content-Type", contentType);
        if (ifMatch != null) {
            b.header("If-Match", Versions.etag(ifMatch));
        }
        if (ifNoneMatch != null) {
            b.header("If-None-Match", ifNoneMatch);
        }
        headers.forEach(b::header);
        HttpResponse<byte[]> r = send(b.build());
        JsonNode body = json(r);
        return new Written(key, body.path("version").asText(), r.statusCode() == 201, region(r),
                r.headers().firstValue(Headers.SESSION).orElse(null));
    }

    /** Writes a value with options: conditions, a session token, a new key's home. */
    public Written put(String keyspace, String key, byte[] value, String contentType, RequestOptions options) {
        return put(keyspace, key, value, contentType, null, null, options.headers());
    }

    public Optional<Value> get(String keyspace, String key) {
        return get(keyspace, key, Map.of());
    }

    /** Reads a key at the consistency level, and with the session, the options name. */
    public Optional<Value> get(String keyspace, String key, RequestOptions options) {
        return get(keyspace, key, options.headers());
    }

    /** A read with extra headers, e.g. {@code Meridian-Session} or {@code Meridian-Consistency}. */
    public Optional<Value> get(String keyspace, String key, Map<String, String> headers) {
        HttpRequest.Builder b = request(itemPath(keyspace, key)).GET();
        headers.forEach(b::header);
        HttpResponse<byte[]> r = hedgeable(headers) ? hedged(b.build()) : send(b.build(), 404);
        if (keyNotFound(r)) {
            return Optional.empty();
        }
        String etag = r.headers().firstValue("ETag").orElse("\"\"");
        Long staleness = r.headers().firstValue(Headers.STALENESS).filter(v -> v.chars().allMatch(Character::isDigit))
                .map(Long::parseLong).orElse(null);
        return Optional.of(new Value(key, r.body(), r.headers().firstValue("Content-Type").orElse(""),
                etag.replace("\"", ""), region(r), staleness, r.headers().firstValue(Headers.SESSION).orElse(null)));
    }

    /** @return true when the key existed */
    public boolean delete(String keyspace, String key) {
        return delete(keyspace, key, RequestOptions.NONE);
    }

    /** A delete with options, e.g. {@code ifMatch}. @return true when the key existed */
    public boolean delete(String keyspace, String key, RequestOptions options) {
        HttpRequest.Builder b = request(itemPath(keyspace, key)).DELETE();
        options.headers().forEach(b::header);
        return !keyNotFound(send(b.build(), 404));
    }

    /**
     * True for a 404 that says the key does not exist; any other 404 (an unknown keyspace, a path
     * the node does not serve) is thrown as the problem it is.
     */
    private static boolean keyNotFound(HttpResponse<byte[]> r) {
        if (r.statusCode() != 404) {
            return false;
        }
        MeridianClientException problem = problem(r);
        if (problem.type() == ProblemType.KEY_NOT_FOUND) {
            return true;
        }
        throw problem;
    }

    public ScanPage scan(String keyspace, String prefix, String after, int limit) {
        return scan(keyspace, prefix, after, limit, RequestOptions.NONE);
    }

    /** A page of keys starting with {@code prefix}, after {@code after} (null: from the first), at most {@code limit}. */
    public ScanPage scan(String keyspace, String prefix, String after, int limit, RequestOptions options) {
        StringBuilder path = new StringBuilder("/v1/kv/").append(encode(keyspace)).append("?limit=").append(limit);
        if (prefix != null && !prefix.isEmpty()) {
            path.append("&prefix=").append(encode(prefix));
        }
        if (after != null) {
            path.append("&after=").append(encode(after));
        }
        HttpRequest.Builder b = request(path.toString()).GET();
        options.headers().forEach(b::header);
        HttpResponse<byte[]> r = send(b.build());
        JsonNode body = json(r);
        List<Value> items = new ArrayList<>();
        for (JsonNode item : body.path("items")) {
            byte[] bytes = item.hasNonNull("value")
                    ? item.get("value").asText().getBytes(StandardCharsets.UTF_8)
                    : Base64.getDecoder().decode(item.path("value_base64").asText());
            items.add(new Value(item.path("key").asText(), bytes, item.path("content_type").asText(),
                    item.path("version").asText(), region(r), null, null));
        }
        JsonNode next = body.path("next");
        return new ScanPage(items, next.isNull() || next.isMissingNode() ? Optional.empty() : Optional.of(next.asText()));
    }

    /** One key a transaction's branch touched: its version after it, and its value (null when deleted). */
    public record TxnResult(String key, String version, String value) {
    }

    /** A transaction's outcome: whether every compare held (the {@code then} branch ran), and what it touched. */
    public record TxnOutcome(boolean succeeded, List<TxnResult> results, String region) {
    }

    /**
     * Runs a transaction on a strong keyspace: compares, then the operations of {@code then} if
     * all hold, else those of {@code else}, atomically. {@code json} is the body of
     * {@code POST /v1/txn/{keyspace}} (see docs/api.md).
     */
    public TxnOutcome transaction(String keyspace, String json) {
        return transaction(keyspace, json, RequestOptions.NONE);
    }

    /** A transaction with options (e.g. an idempotency key). */
    public TxnOutcome transaction(String keyspace, String json, RequestOptions options) {
        HttpRequest.Builder b = request("/v1/txn/" + encode(keyspace)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        options.headers().forEach(b::header);
        HttpResponse<byte[]> r = send(b.build());
        JsonNode body = json(r);
        List<TxnResult> results = new ArrayList<>();
        for (JsonNode t : body.path("results")) {
            results.add(new TxnResult(t.path("key").asText(), t.path("version").asText(),
                    t.path("value").isNull() ? null : t.path("value").asText()));
        }
        return new TxnOutcome(body.path("succeeded").asBoolean(), results, region(r));
    }

    /**
     * A conflict this region resolved: the key, the rule that decided, and the winning and losing
     * writes; or a write lost in a failover ({@code lost}), with, in its own region's feed, whether
     * its client had been answered ({@code acknowledged}, empty where it is not known).
     */
    public record Conflict(long seq, String key, String rule, String detectedBy, JsonNode winner, JsonNode loser, boolean lost,
                           Optional<Boolean> acknowledged) {
    }

    public record ConflictPage(List<Conflict> items, Optional<Long> next) {
    }

    /** A page of this region's conflict feed for a replicated keyspace, after feed position {@code after} (0: from the start). */
    public ConflictPage conflicts(String keyspace, long after, int limit) {
        JsonNode body = getJson("/v1/conflicts/" + encode(keyspace) + "?after=" + after + "&limit=" + limit);
        List<Conflict> items = new ArrayList<>();
        for (JsonNode c : body.path("items")) {
            items.add(new Conflict(c.path("seq").asLong(), c.path("key").asText(), c.path("rule").asText(),
                    c.path("detected_by").asText(), c.path("winner"), c.path("loser"), c.path("lost").asBoolean(false),
                    c.path("acknowledged").isBoolean() ? Optional.of(c.path("acknowledged").asBoolean()) : Optional.empty()));
        }
        JsonNode next = body.path("next");
        return new ConflictPage(items, next.isNull() || next.isMissingNode() ? Optional.empty() : Optional.of(next.asLong()));
    }

    // ---- CRDT keyspaces ----

    /**
     * What a CRDT operation left: the key's new value as JSON (a number, an array, an object),
     * its version, the region that applied it, the keyspace's type and the session token.
     */
    public record CrdtResult(String key, JsonNode value, String version, String region, String type, String session) {
    }

    /**
     * Applies operations to a key of a crdt keyspace ({@code POST /v1/crdt/{keyspace}/{key}}):
     * {@code operations} is the JSON body, e.g. {@code {"increment": 1}} or
     * {@code [{"add": ["a"]}, {"remove": ["b"]}]} (docs/api.md lists them).
     */
    public CrdtResult crdt(String keyspace, String key, String operations, RequestOptions options) {
        HttpRequest.Builder b = request("/v1/crdt/" + encode(keyspace) + "/" + encode(key))
                .POST(HttpRequest.BodyPublishers.ofString(operations)).header("Content-Type", "application/json");
        options.headers().forEach(b::header);
        HttpResponse<byte[]> r = send(b.build());
        JsonNode body = json(r);
        return new CrdtResult(key, body.path("value"), body.path("version").asText(), region(r), body.path("type").asText(),
                r.headers().firstValue(Headers.SESSION).orElse(null));
    }

    public CrdtResult crdt(String keyspace, String key, String operations) {
        return crdt(keyspace, key, operations, RequestOptions.NONE);
    }

    // ---- event logs ----

    /**
     * What an append did: the versions its events have in the stream, whether they were there
     * already (a retry: nothing appended), the region that appended and the session token.
     */
    public record Appended(String stream, long firstVersion, long lastVersion, boolean alreadyAppended, String home,
                           String region, String session) {
    }

    /** One event to append: a type and its data as JSON; the client gives it a fresh id (a UUID). */
    public record NewEvent(String type, String dataJson) {
    }

    /**
     * Appends events to a stream of an event-log keyspace ({@code POST /v1/events/{keyspace}/{stream}}):
     * {@code body} is the request, {@code {"expected_version": n, "events": [{"id", "type", "data"}]}}
     * (docs/api.md). Sending the same body again appends nothing twice.
     */
    public Appended append(String keyspace, String stream, String body, RequestOptions options) {
        HttpRequest.Builder b = request("/v1/events/" + encode(keyspace) + "/" + encode(stream))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        options.headers().forEach(b::header);
        HttpResponse<byte[]> r = send(b.build());
        JsonNode a = json(r);
        return new Appended(stream, a.path("first_version").asLong(), a.path("last_version").asLong(),
                a.path("already_appended").asBoolean(), a.path("home").asText(null), region(r),
                r.headers().firstValue(Headers.SESSION).orElse(null));
    }

    /**
     * Appends events with fresh ids, expecting the stream at {@code expectedVersion}
     * ({@code -1}: any; {@code 0}: a new stream).
     */
    public Appended append(String keyspace, String stream, long expectedVersion, NewEvent... events) {
        com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode().put("expected_version", expectedVersion);
        com.fasterxml.jackson.databind.node.ArrayNode list = body.putArray("events");
        for (NewEvent e : events) {
            com.fasterxml.jackson.databind.node.ObjectNode n = list.addObject().put("id", java.util.UUID.randomUUID().toString())
                    .put("type", e.type());
            try {
                n.set("data", JSON.readTree(e.dataJson()));
            } catch (IOException ex) {
                throw new IllegalArgumentException("the data of a " + e.type() + " event is not JSON: " + ex.getMessage(), ex);
            }
        }
        return append(keyspace, stream, body.toString(), RequestOptions.NONE);
    }

    /** A page of a stream from version {@code from} (forward or backward), at most {@code limit} events. */
    public io.meridian.core.api.EventsView.StreamPage readStream(String keyspace, String stream, long from, int limit,
                                                                 boolean forward, RequestOptions options) {
        String query = "?limit=" + limit + (from > 0 ? "&from=" + from : "") + (forward ? "" : "&direction=backward");
        return readEvents("/v1/events/" + encode(keyspace) + "/" + encode(stream) + query, options,
                io.meridian.core.api.EventsView.StreamPage.class);
    }

    /** A page of a keyspace's {@code $all} in the region, from position {@code from}. */
    public io.meridian.core.api.EventsView.AllPage readAll(String keyspace, long from, int limit, RequestOptions options) {
        return readEvents("/v1/events/" + encode(keyspace) + "/$all?from=" + Math.max(1, from) + "&limit=" + limit, options,
                io.meridian.core.api.EventsView.AllPage.class);
    }

    private <T> T readEvents(String path, RequestOptions options, Class<T> type) {
        HttpRequest.Builder b = request(path).GET();
        options.headers().forEach(b::header);
        HttpResponse<byte[]> r = send(b.build());
        return io.meridian.core.api.ApiJson.read(r.body(), type);
    }

    /**
     * Subscribes to a stream (or {@code $all}) over Server-Sent Events: every event after
     * {@code lastEventId} (a version, or a {@code $all} position; 0 for all), then each new one,
     * handed to {@code onEvent} until it returns false or the connection ends. Blocks; the
     * client's timeout bounds only the wait for the subscription to start.
     *
     * @return the id of the last event handed over (where to resume)
     */
    public long subscribe(String keyspace, String stream, long lastEventId, RequestOptions options,
                          java.util.function.Predicate<io.meridian.core.api.EventsView.EventView> onEvent) {
        return follow("/v1/events/" + encode(keyspace) + "/" + (stream.equals("$all") ? stream : encode(stream)), lastEventId,
                options, e -> onEvent.test(io.meridian.core.api.ApiJson.read(
                        e.data().getBytes(java.nio.charset.StandardCharsets.UTF_8), io.meridian.core.api.EventsView.EventView.class)));
    }

    /** One Server-Sent Event: its id, its event name and its data (JSON text). */
    public record FeedEvent(long id, String event, String data) {
    }

    /**
     * Follows a feed of Server-Sent Events at {@code path} ({@code /v1/changes/{keyspace}}, or an
     * event-log subscription): every item after {@code lastEventId}, then each new one, handed to
     * {@code onEvent} until it returns false or the connection ends.
     *
     * @return the id of the last item handed over (where to resume)
     * @throws MeridianClientException when the region refuses the subscription or cannot be reached
     */
    public long follow(String path, long lastEventId, RequestOptions options, java.util.function.Predicate<FeedEvent> onEvent) {
        int region = roster.order(nanoClock.getAsLong()).getFirst(); // a subscription stays with one region
        HttpRequest.Builder b = HttpRequest.newBuilder(roster.url(region).resolve(path))
                .header("Accept", "text/event-stream").header("Last-Event-ID", Long.toString(lastEventId)).GET();
        options.headers().forEach(b::header);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        long last = lastEventId;
        java.util.concurrent.CompletableFuture<HttpResponse<java.io.InputStream>> started =
                http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<java.io.InputStream> r;
        try {
            r = started.get(timeout.toMillis() + EXCHANGE_MARGIN_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            started.cancel(true);
            throw new MeridianClientException(ProblemType.UNAVAILABLE, 0, "the subscription to " + authority(region)
                    + " did not start within " + timeout.toMillis() + " ms", null, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw failed(b.build(), region, e.getCause());
        } catch (InterruptedException e) {
            started.cancel(true);
            Thread.currentThread().interrupt();
            throw new MeridianClientException(ProblemType.UNAVAILABLE, 0, "interrupted", null, e);
        }
        try (java.io.InputStream in = r.body()) {
            if (r.statusCode() != 200) {
                throw problem(new ReadBody(r, in.readAllBytes()));
            }
            java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(in,
                    java.nio.charset.StandardCharsets.UTF_8));
            String id = null;
            String event = "message";
            StringBuilder data = new StringBuilder();
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line, 6, line.length());
                } else if (line.isEmpty() && id != null) {
                    FeedEvent e = new FeedEvent(Long.parseLong(id), event, data.toString());
                    last = e.id();
                    id = null;
                    event = "message";
                    data.setLength(0);
                    if (!onEvent.test(e)) {
                        return last;
                    }
                }
            }
            return last;
        } catch (IOException e) {
            return last; // the connection ended: resume from the last event
        }
    }

    /** The projections the region runs, with their positions and lag ({@code GET /v1/projections}). */
    public List<io.meridian.core.api.ProjectionView> projections() {
        JsonNode items = getJson("/v1/projections").path("items");
        List<io.meridian.core.api.ProjectionView> out = new java.util.ArrayList<>();
        items.forEach(i -> out.add(io.meridian.core.api.ApiJson.MAPPER.convertValue(i, io.meridian.core.api.ProjectionView.class)));
        return out;
    }

    /** A stream's state in a projection, as this region has folded it; empty when it has none (yet). */
    public Optional<io.meridian.core.api.ProjectionView.StreamState> projection(String name, String stream, RequestOptions options) {
        HttpRequest.Builder b = request("/v1/projections/" + encode(name) + "/" + encode(stream)).GET();
        options.headers().forEach(b::header);
        HttpResponse<byte[]> r = send(b.build(), 404);
        if (r.statusCode() == 404 && problem(r).type() == ProblemType.STREAM_NOT_FOUND) {
            return Optional.empty();
        }
        if (r.statusCode() == 404) {
            throw problem(r);
        }
        return Optional.of(io.meridian.core.api.ApiJson.read(r.body(), io.meridian.core.api.ProjectionView.StreamState.class));
    }

    /** Starts rebuilding a projection by replay in this region; the current read model serves until the rebuild caught up. */
    public io.meridian.core.api.ProjectionView rebuildProjection(String name) {
        HttpResponse<byte[]> r = send(request("/v1/projections/" + encode(name) + "/rebuild")
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        return io.meridian.core.api.ApiJson.read(r.body(), io.meridian.core.api.ProjectionView.class);
    }

    /**
     * A stream's projected state as of a version ({@code version > 0}) or a time ({@code at}, when
     * version is 0), computed by replay in this region.
     */
    public io.meridian.core.api.ProjectionView.AsOf asOf(String keyspace, String stream, String projection, long version,
                                                         java.time.Instant at, RequestOptions options) {
        String query = "?projection=" + encode(projection) + (version > 0 ? "&version=" + version : "&at=" + encode(at.toString()));
        return readEvents("/v1/events/" + encode(keyspace) + "/" + encode(stream) + "/state" + query, options,
                io.meridian.core.api.ProjectionView.AsOf.class);
    }

    /** A streamed answer read whole, to report a refusal like any other. */
    private record ReadBody(HttpResponse<java.io.InputStream> response, byte[] bytes) {
    }

    private static MeridianClientException problem(ReadBody r) {
        return problem(r.response().statusCode(), r.bytes(), region(r.response()));
    }

    /** Adds {@code amount} (negative: subtracts) to a counter; returns its new value. */
    public java.math.BigInteger increment(String keyspace, String key, long amount) {
        return crdt(keyspace, key, "{\"increment\": " + amount + "}").value().bigIntegerValue();
    }

    /** Adds elements to a set; returns its elements, sorted. */
    public List<String> add(String keyspace, String key, String... elements) {
        return strings(crdt(keyspace, key, JSON.createObjectNode().set("add", JSON.valueToTree(elements)).toString()).value());
    }

    /** Removes elements from a set (those this region has seen added); returns its elements, sorted. */
    public List<String> remove(String keyspace, String key, String... elements) {
        return strings(crdt(keyspace, key, JSON.createObjectNode().set("remove", JSON.valueToTree(elements)).toString()).value());
    }

    /**
     * Applies {@code operation} (JSON, e.g. {@code {"increment": 2}} or {@code {"set": "dark"}}) to one
     * field of a map; returns the whole map.
     */
    public JsonNode update(String keyspace, String key, String field, String operation) {
        try {
            com.fasterxml.jackson.databind.node.ObjectNode fields = JSON.createObjectNode();
            fields.set(field, JSON.readTree(operation));
            return crdt(keyspace, key, JSON.createObjectNode().set("update", fields).toString()).value();
        } catch (IOException e) {
            throw new IllegalArgumentException("the operation on '" + field + "' is not JSON: " + e.getMessage(), e);
        }
    }

    /** One element of a sequence. */
    public record Item(String id, String value) {
    }

    /** Inserts {@code value} after the element {@code afterId} (null: at the end); returns the sequence. */
    public List<Item> insert(String keyspace, String key, String afterId, String value) {
        com.fasterxml.jackson.databind.node.ObjectNode insert = JSON.createObjectNode().put("value", value);
        if (afterId != null) {
            insert.put("after", afterId);
        }
        return items(crdt(keyspace, key, JSON.createObjectNode().set("insert", insert).toString()).value());
    }

    /** Deletes the element {@code id} from a sequence; returns the sequence. */
    public List<Item> deleteItem(String keyspace, String key, String id) {
        return items(crdt(keyspace, key, JSON.createObjectNode().put("delete", id).toString()).value());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.asText()));
        return out;
    }

    private static List<Item> items(JsonNode array) {
        List<Item> out = new ArrayList<>();
        array.forEach(e -> out.add(new Item(e.path("id").asText(), e.path("value").asText())));
        return out;
    }

    /** {@code GET /v1/failovers}: the deployment's failover state as this region has applied it. */
    public FailoverView failovers() {
        return document("/v1/failovers", FailoverView.class);
    }

    /** {@code GET /v1/cluster}: the deployment as this region sees it (regions, peers, replication, strong groups). */
    public ClusterView cluster() {
        return document("/v1/cluster", ClusterView.class);
    }

    private <T> T document(String path, Class<T> type) {
        HttpResponse<byte[]> r = send(request(path).GET().build());
        try {
            return ApiJson.read(r.body(), type);
        } catch (IllegalArgumentException e) {
            throw new MeridianClientException(ProblemType.INTERNAL, r.statusCode(), e.getMessage(), region(r), e);
        }
    }

    /** GETs an API document (health, cluster...) as JSON; problem answers throw. */
    public JsonNode getJson(String path) {
        return json(send(request(path).GET().build()));
    }

    /** GETs a path and returns the raw answer, whatever its status. */
    public HttpResponse<byte[]> raw(HttpRequest.Builder builder) {
        return send(builder.build(), -1);
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
    }

    /**
     * Sends a request, and for a client of several regions fails it over: on no connection, no
     * answer in time or a 503 the region is set aside and the request goes to the next region
     * in the client's order, while the retry budget and the call's deadline allow; when every
     * region has been tried it pauses (growing, or as long as the soonest {@code Retry-After})
     * and starts again. A request that is not safe to repeat (a write without an idempotency key)
     * goes on only if it never reached the region (no connection). A client of one region retries
     * only a refusal that guarantees nothing changed and says to retry ({@code not-owner} while a
     * write lease is renewed or a failover completes, {@code stale-epoch}), with growing pauses,
     * until its timeout has passed since the first try.
     */
    private HttpResponse<byte[]> send(HttpRequest request, int... alsoOk) {
        if (failover && nanoClock.getAsLong() - lastProbe.get() > PROBE_EVERY_NANOS) {
            probe(); // in the background: the answers update the order
        }
        HttpRequest prepared = prepare(request);
        boolean repeatable = repeatable(prepared);
        long started = nanoClock.getAsLong();
        long callDeadline = started + deadline.toNanos();
        long pauseMillis = RETRY_PAUSE_MIN_MILLIS;
        budget.requested();
        java.util.Set<Integer> tried = new java.util.HashSet<>();
        int previous = -1;
        MeridianClientException last = null;
        while (true) {
            long now = nanoClock.getAsLong();
            int region = roster.order(now).stream().filter(r -> !tried.contains(r)).findFirst().orElse(-1);
            if (region < 0) { // every region tried this round: pause, then a new round
                long soonest = Long.MAX_VALUE;
                for (int r = 0; r < roster.size(); r++) {
                    soonest = Math.min(soonest, roster.upAtNanos(r, now) - now);
                }
                long waitMillis = Math.max(pauseMillis, soonest / 1_000_000);
                if (now + waitMillis * 1_000_000 - callDeadline > 0) {
                    throw last;
                }
                pause(waitMillis, last);
                pauseMillis = Math.min(RETRY_PAUSE_MAX_MILLIS, pauseMillis * 2);
                tried.clear();
                continue;
            }
            if (previous >= 0) {
                if (failover && !budget.tryRetry(now)) {
                    throw new MeridianClientException(last.type(), last.status(), last.getMessage()
                            + " (not retried: the client's retry budget is spent)", last.region(),
                            last.problem().isMissingNode() ? null : last.problem(), last);
                }
                if (region != previous) {
                    failovers.incrementAndGet();
                    meters.counter("meridian.client.failovers", "from", roster.name(previous), "to", roster.name(region))
                            .increment();
                }
            }
            tried.add(region);
            long attemptStart = nanoClock.getAsLong();
            HttpResponse<byte[]> r;
            boolean redirected = false;
            try {
                r = sendOnce(retarget(prepared, region), region);
                java.util.Optional<String> location = r.headers().firstValue("Location");
                if (r.statusCode() == 307 && location.isPresent()) {
                    // A keyspace resident elsewhere (outside-residency: redirect): one hop to the region named.
                    roster.named(region, r.headers().firstValue(Headers.REGION).orElse(null));
                    redirected = true;
                    r = sendOnce(HttpRequest.newBuilder(prepared, (name, value) -> true)
                            .uri(base.resolve(location.get())).build(), region);
                }
            } catch (MeridianClientException e) {
                record(prepared, region, attemptStart, "unreachable");
                last = e;
                previous = region;
                boolean neverArrived = e.getCause() instanceof java.net.ConnectException;
                if (!failover || !(repeatable || neverArrived)) {
                    throw e;
                }
                roster.failed(region, nanoClock.getAsLong(), 0);
                continue;
            }
            if (!redirected) {
                roster.named(region, r.headers().firstValue(Headers.REGION).orElse(null));
            }
            learnSession(r);
            int status = r.statusCode();
            boolean ok = status < 400;
            for (int expected : alsoOk) {
                ok |= expected == status || expected == -1;
            }
            if (ok) {
                roster.succeeded(region);
                record(prepared, region, attemptStart, Integer.toString(status));
                return r;
            }
            MeridianClientException problem = problem(r);
            record(prepared, region, attemptStart, Integer.toString(status));
            last = problem;
            previous = region;
            boolean nothingChanged = problem.type() == ProblemType.NOT_OWNER || problem.type() == ProblemType.STALE_EPOCH;
            if (!failover) {
                if (!nothingChanged || System.nanoTime() + pauseMillis * 1_000_000 - callDeadline > 0) {
                    throw problem;
                }
                pause(pauseMillis, problem);
                pauseMillis = Math.min(RETRY_PAUSE_MAX_MILLIS, pauseMillis * 2);
                tried.clear();
                continue;
            }
            boolean unavailable = status == 502 || status == 503 || status == 504;
            if (!unavailable || !(repeatable || nothingChanged)) {
                roster.succeeded(region);
                throw problem;
            }
            if (!nothingChanged) { // the region itself is in trouble; a refusal that changed nothing says nothing of its health
                roster.failed(region, nanoClock.getAsLong(), retryAfterMillis(r));
            }
        }
    }

    /** How many reads were hedged (sent to a second region after the hedge delay). */
    public long hedgeCount() {
        return hedges.get();
    }

    private boolean hedgeable(Map<String, String> headers) {
        if (hedgeAfter == null || roster.size() < 2) {
            return false;
        }
        String consistency = null;
        for (var h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(Headers.SESSION)) {
                return false;
            }
            if (h.getKey().equalsIgnoreCase(io.meridian.core.Consistency.HEADER)) {
                consistency = h.getValue().strip();
            }
        }
        return consistency != null && (consistency.equals("eventual") || consistency.startsWith("bounded"));
    }

    /**
     * A read sent to the first region and, when it has not answered within the hedge delay, to
     * the next one too: the first answer that is a value or "no such key" wins. When neither
     * gives one, the read goes the ordinary way (with failover and retries).
     */
    private HttpResponse<byte[]> hedged(HttpRequest request) {
        List<Integer> order = roster.order(nanoClock.getAsLong());
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> winner = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger(1);
        List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> sent = new ArrayList<>();
        java.util.function.IntConsumer launch = region -> {
            long attemptStart = nanoClock.getAsLong();
            java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(retarget(request, region),
                    HttpResponse.BodyHandlers.ofByteArray());
            sent.add(f);
            f.orTimeout(timeout.toMillis() + EXCHANGE_MARGIN_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
                if (e == null && (r.statusCode() == 200 || keyNotFound(r))) {
                    record(request, region, attemptStart, Integer.toString(r.statusCode()));
                    if (winner.complete(r)) {
                        roster.succeeded(region);
                        roster.named(region, r.headers().firstValue(Headers.REGION).orElse(null));
                    }
                } else if (pending.decrementAndGet() == 0) {
                    winner.complete(null);
                }
            });
        };
        HttpResponse<byte[]> r = null;
        try {
            launch.accept(order.get(0));
            try {
                r = winner.get(hedgeAfter.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException slow) {
                pending.incrementAndGet();
                hedges.incrementAndGet();
                meters.counter("meridian.client.hedges", "from", roster.name(order.get(0)), "to", roster.name(order.get(1))).increment();
                launch.accept(order.get(1));
                r = winner.get(timeout.toMillis() + EXCHANGE_MARGIN_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            r = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeridianClientException(ProblemType.UNAVAILABLE, 0, "interrupted", null, e);
        } finally {
            sent.forEach(f -> f.cancel(true)); // the loser, if any, is abandoned
        }
        if (r == null) {
            return send(request, 404);
        }
        learnSession(r);
        return r;
    }

    private static void pause(long millis, MeridianClientException last) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw last;
        }
    }

    /** The request with what the client carries: its access token, its session token, and for a write an idempotency key. */
    private HttpRequest prepare(HttpRequest request) {
        boolean write = !request.method().equals("GET") && !request.method().equals("HEAD");
        boolean addSession = carrySession && request.headers().firstValue(Headers.SESSION).isEmpty()
                && !session.get().writes().seqs().isEmpty();
        boolean addKey = idempotencyKeys && write && request.headers().firstValue(io.meridian.core.Idempotency.HEADER).isEmpty();
        boolean addToken = token != null && request.headers().firstValue("Authorization").isEmpty();
        if (!addSession && !addKey && !addToken) {
            return request;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(request, (name, value) -> true);
        if (addSession) {
            b.header(Headers.SESSION, session.get().format());
        }
        if (addKey) {
            b.header(io.meridian.core.Idempotency.HEADER, java.util.UUID.randomUUID().toString());
        }
        if (addToken) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    /** Reads, and writes with an idempotency key, are safe to send again: the node applies a write's key once. */
    private static boolean repeatable(HttpRequest request) {
        return request.method().equals("GET") || request.method().equals("HEAD")
                || request.headers().firstValue(io.meridian.core.Idempotency.HEADER).isPresent();
    }

    private void learnSession(HttpResponse<?> r) {
        if (!carrySession) {
            return;
        }
        r.headers().firstValue(Headers.SESSION).filter(t -> !t.isBlank()).ifPresent(t -> {
            try {
                session.accumulateAndGet(SessionToken.parse(Headers.SESSION, t), SessionToken::merge);
            } catch (RuntimeException e) {
                // A token this client cannot read is not carried; the answer itself stands.
            }
        });
    }

    /** The request sent to {@code region} instead of the one it was built for. */
    private HttpRequest retarget(HttpRequest request, int region) {
        URI target = roster.url(region);
        if (target.equals(base) && roster.size() == 1) {
            return request;
        }
        String query = request.uri().getRawQuery();
        URI uri = URI.create(target.getScheme() + "://" + target.getRawAuthority() + request.uri().getRawPath()
                + (query == null ? "" : "?" + query));
        return HttpRequest.newBuilder(request, (name, value) -> true).uri(uri).build();
    }

    /** {@code Retry-After} in milliseconds (seconds or an HTTP date), 0 when absent or unreadable. */
    static long retryAfterMillis(HttpResponse<?> r) {
        String value = r.headers().firstValue("Retry-After").orElse("").strip();
        if (value.isEmpty()) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(value) * 1_000);
        } catch (NumberFormatException notSeconds) {
            try {
                java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(value, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.max(0, at.toInstant().toEpochMilli() - System.currentTimeMillis());
            } catch (java.time.format.DateTimeParseException e) {
                return 0;
            }
        }
    }

    private void record(HttpRequest request, int region, long startNanos, String outcome) {
        meters.timer("meridian.client.requests", "region", roster.name(region), "method", request.method(), "outcome", outcome)
                .record(nanoClock.getAsLong() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * One exchange, bounded as a whole: the request's own timeout covers only the wait for the
     * response headers, and a body that stops arriving would otherwise block for ever.
     */
    private HttpResponse<byte[]> sendOnce(HttpRequest request, int region) {
        long margin = failover ? Math.min(EXCHANGE_MARGIN_MILLIS, timeout.toMillis()) : EXCHANGE_MARGIN_MILLIS;
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> exchange =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        try {
            return exchange.get(timeout.toMillis() + margin, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            exchange.cancel(true);
            throw new MeridianClientException(ProblemType.UNAVAILABLE, 0, request.method() + " " + request.uri().getRawPath()
                    + " to " + authority(region) + " did not complete within " + (timeout.toMillis() + margin) + " ms", null, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw failed(request, region, e.getCause());
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            throw new MeridianClientException(ProblemType.UNAVAILABLE, 0, "interrupted", null, e);
        }
    }

    private MeridianClientException failed(HttpRequest request, int region, Throwable cause) {
        String what = request.method() + " " + request.uri().getRawPath() + " to " + authority(region);
        String detail = switch (cause) {
            case java.net.ConnectException e -> "cannot connect to " + authority(region)
                    + ": nothing listens there (the node is down, or the address is wrong)";
            case java.net.http.HttpTimeoutException e -> what + " got no answer within " + timeout.toMillis() + " ms";
            case IOException e -> what + " failed: the connection broke ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")";
            default -> what + " failed: " + cause;
        };
        return new MeridianClientException(ProblemType.UNAVAILABLE, 0, detail, null, cause);
    }

    private String authority(int region) {
        URI url = roster.url(region);
        return url.getScheme() + "://" + url.getAuthority();
    }

    private static MeridianClientException problem(HttpResponse<byte[]> r) {
        return problem(r.statusCode(), r.body(), region(r));
    }

    private static MeridianClientException problem(int status, byte[] body, String region) {
        try {
            JsonNode p = JSON.readTree(body);
            return new MeridianClientException(ProblemType.fromUri(p.path("type").asText()), status,
                    p.path("detail").asText("HTTP " + status), p.path("region").asText(null), p, null);
        } catch (IOException e) {
            return new MeridianClientException(ProblemType.INTERNAL, status, "HTTP " + status + " without a problem document",
                    region, e);
        }
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new MeridianClientException(ProblemType.INTERNAL, r.statusCode(), "the answer is not JSON: " + e.getMessage(),
                    region(r), e);
        }
    }

    private static String region(HttpResponse<?> r) {
        return r.headers().firstValue(Headers.REGION).orElse(null);
    }

    private static String itemPath(String keyspace, String key) {
        return "/v1/kv/" + encode(keyspace) + "/" + encode(key);
    }

    /** Percent-encodes every byte outside RFC 3986's unreserved set. */
    public static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        async.shutdownNow();
        http.shutdownNow();
    }
}
