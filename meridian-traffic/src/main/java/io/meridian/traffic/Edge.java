package io.meridian.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.Headers;
import io.meridian.core.ProblemType;
import io.meridian.core.traffic.UpstreamHealth;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.cache.CacheResponseStatus;
import org.apache.hc.client5.http.cache.HttpCacheCASOperation;
import org.apache.hc.client5.http.cache.HttpCacheContext;
import org.apache.hc.client5.http.cache.HttpCacheEntry;
import org.apache.hc.client5.http.cache.HttpCacheStorage;
import org.apache.hc.client5.http.cache.ResourceIOException;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.cache.BasicHttpCacheStorage;
import org.apache.hc.client5.http.impl.cache.CacheConfig;
import org.apache.hc.client5.http.impl.cache.CachingHttpClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.util.Timeout;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A region's edge: a caching reverse proxy for static assets in front of an origin. The HTTP
 * caching semantics (RFC 9111: freshness from {@code Cache-Control} and {@code Expires},
 * validators and conditional revalidation, {@code stale-while-revalidate}, {@code stale-if-error},
 * {@code Vary}, {@code private} and {@code no-store} kept out of a shared cache) are Apache
 * HttpClient's cache module's; the edge adds a size bound with LRU eviction (the module's memory
 * storage), origin failover to other regions' origins, and a purge that reaches every region's
 * edge and reports which confirmed. Only {@code GET} and {@code HEAD} are proxied.
 */
public final class Edge implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Edge.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String PURGE_PATH = "/meridian/edge/purge";
    public static final String HEALTH_PATH = "/meridian/edge/health";
    /** Marks a purge relayed by another region's edge: purged here, never relayed again. */
    public static final String FROM_HEADER = "Meridian-Edge-From";
    /** How the answer was made: HIT, MISS, REVALIDATED, GENERATED (by the cache, e.g. a 304 or a 504) or FAILURE. */
    public static final String CACHE_HEADER = "X-Cache";
    public static final String ORIGIN_HEADER = "Meridian-Origin";
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length");

    /**
     * @param origins        the origins, by region, in the order to try them (this region's first)
     * @param peers          the other regions' edges, for purges
     * @param maxEntries     the most responses kept (least recently used evicted first)
     * @param maxObjectBytes the largest response body kept
     * @param tls            what the listener shows, and whom HTTPS origins and peers must prove to be
     */
    public record Settings(String region, String host, int port, Map<String, URI> origins, Map<String, URI> peers,
                           int maxEntries, long maxObjectBytes, Duration timeout, TrafficTls tls) {
        /** Plain HTTP in; HTTPS origins and peers checked by the JDK's trusted CAs. */
        public Settings(String region, String host, int port, Map<String, URI> origins, Map<String, URI> peers,
                        int maxEntries, long maxObjectBytes, Duration timeout) {
            this(region, host, port, origins, peers, maxEntries, maxObjectBytes, timeout, TrafficTls.PLAIN);
        }

        public Settings {
            tls = tls == null ? TrafficTls.PLAIN : tls;
            origins = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(origins));
            peers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(peers));
            if (origins.isEmpty()) {
                throw new IllegalArgumentException("an edge needs at least one origin");
            }
            if (peers.containsKey(region)) {
                throw new IllegalArgumentException("the edge's own region '" + region + "' is not a peer");
            }
            if (maxEntries < 1 || maxObjectBytes < 1) {
                throw new IllegalArgumentException("the cache needs room for at least one entry of at least one byte");
            }
        }
    }

    private final Settings settings;
    private final Server server;
    private final ServerConnector connector;
    private final KeyedStorage storage;
    private final CloseableHttpClient client;
    private final java.net.http.HttpClient purges;
    private final Map<String, UpstreamHealth> originHealth = new LinkedHashMap<>();
    private final Map<CacheResponseStatus, AtomicLong> answers = new ConcurrentHashMap<>();
    private final AtomicLong originFailovers = new AtomicLong();

    public Edge(Settings settings) {
        this.settings = settings;
        settings.origins().keySet().forEach(r -> originHealth.put(r, new UpstreamHealth()));
        CacheConfig config = CacheConfig.custom()
                .setMaxCacheEntries(settings.maxEntries())
                .setMaxObjectSize(settings.maxObjectBytes())
                .setSharedCache(true)
                .setStaleIfErrorEnabled(true)
                .setAsynchronousWorkers(2) // stale-while-revalidate: revalidate in the background
                .setHeuristicCachingEnabled(false) // only what the origin says may be kept
                .build();
        this.storage = new KeyedStorage(new BasicHttpCacheStorage(config), settings.maxEntries());
        Timeout timeout = Timeout.of(settings.timeout());
        this.client = CachingHttpClients.custom()
                .setCacheConfig(config)
                .setHttpCacheStorage(storage)
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(timeout).setSocketTimeout(timeout).build())
                                .setTlsSocketStrategy(settings.tls().apache())
                        .setMaxConnTotal(128).setMaxConnPerRoute(64).build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(timeout).setRedirectsEnabled(false).build())
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableContentCompression()
                .disableRedirectHandling()
                .build();
        this.purges = settings.tls().checks(settings.timeout());
        this.server = new Server();
        // The answers carry the origin's Date and Server (a cached answer's Date is when the origin made it).
        org.eclipse.jetty.server.HttpConfiguration http = new org.eclipse.jetty.server.HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        this.connector = settings.tls().connector(server, http);
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        server.addConnector(connector);
        server.setHandler(new Front());
    }

    public Settings settings() {
        return settings;
    }

    public void start() throws Exception {
        server.start();
        log.info("edge of {} on {}://{}:{}: origins {}, peers {}, at most {} entries", settings.region(), settings.tls().scheme(),
                settings.host(), port(),
                settings.origins().keySet(), settings.peers().keySet(), settings.maxEntries());
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** The number of responses the cache holds now (an upper bound: evicted keys are forgotten in batches). */
    public int entries() {
        return storage.keys.size();
    }

    private final class Front extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            if (PURGE_PATH.equals(path)) {
                if (!method.equals("POST")) {
                    return problem(request, response, callback, ProblemType.METHOD_NOT_ALLOWED, 405, "a purge is a POST", "POST");
                }
                purge(request, response, callback);
            } else if (HEALTH_PATH.equals(path)) {
                health(response, callback);
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                return problem(request, response, callback, ProblemType.METHOD_NOT_ALLOWED, 405,
                        "the edge serves static assets: GET and HEAD only", "GET, HEAD");
            } else {
                serve(request, response, callback);
            }
            return true;
        }
    }

    // ---- serving ----

    private record Answer(int status, List<Header> headers, byte[] body, CacheResponseStatus cache) {
    }

    private void serve(Request request, Response response, Callback callback) throws Exception {
        String target = request.getHttpURI().getPathQuery();
        List<String> order = originOrder();
        Answer answer = null;
        String origin = null;
        String problems = "";
        for (String region : order) {
            URI base = settings.origins().get(region);
            BasicClassicHttpRequest out = new BasicClassicHttpRequest(request.getMethod(), base.resolve(target));
            for (HttpField f : request.getHeaders()) {
                if (!HOP_BY_HOP.contains(f.getLowerCaseName())) {
                    out.addHeader(f.getName(), f.getValue());
                }
            }
            HttpCacheContext context = HttpCacheContext.create();
            try {
                Answer a = client.execute(out, context, r -> read(r, context));
                boolean failed = a.cache() != CacheResponseStatus.CACHE_HIT && a.status() >= 500;
                served(region, failed, failed ? "answered " + a.status() : "");
                answer = a;
                origin = region;
                if (!failed) {
                    break;
                }
                problems += region + " answered " + a.status() + "; ";
            } catch (IOException e) {
                served(region, true, e.toString());
                problems += region + ": " + e.getMessage() + "; ";
            }
            if (!region.equals(order.getLast())) {
                originFailovers.incrementAndGet();
            }
        }
        if (answer == null) {
            problem(request, response, callback, ProblemType.UNAVAILABLE, 502, "no origin answered: " + problems, null);
            return;
        }
        answers.computeIfAbsent(answer.cache(), k -> new AtomicLong()).incrementAndGet();
        response.setStatus(answer.status());
        for (Header h : answer.headers()) {
            if (!HOP_BY_HOP.contains(h.getName().toLowerCase(java.util.Locale.ROOT))) {
                response.getHeaders().add(h.getName(), h.getValue());
            }
        }
        response.getHeaders().put(Headers.REGION, settings.region());
        response.getHeaders().put(CACHE_HEADER, cacheStatus(answer.cache()));
        response.getHeaders().put(ORIGIN_HEADER, origin);
        if (answer.body() != null) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
        }
        if (answer.body() == null || request.getMethod().equals("HEAD")) {
            response.write(true, null, callback);
        } else {
            response.write(true, ByteBuffer.wrap(answer.body()), callback);
        }
    }

    private static Answer read(ClassicHttpResponse r, HttpCacheContext context) throws IOException {
        byte[] body = r.getEntity() == null ? null : EntityUtils.toByteArray(r.getEntity());
        List<Header> headers = new ArrayList<>(List.of(r.getHeaders()));
        if (r.getEntity() != null && r.getEntity().getContentType() != null && r.getFirstHeader("Content-Type") == null) {
            headers.add(new org.apache.hc.core5.http.message.BasicHeader("Content-Type", r.getEntity().getContentType()));
        }
        CacheResponseStatus status = context.getCacheResponseStatus();
        return new Answer(r.getCode(), headers, body, status == null ? CacheResponseStatus.CACHE_MISS : status);
    }

    static String cacheStatus(CacheResponseStatus status) {
        return switch (status) {
            case CACHE_HIT -> "HIT";
            case CACHE_MISS -> "MISS";
            case VALIDATED -> "REVALIDATED";
            case CACHE_MODULE_RESPONSE -> "GENERATED";
            case FAILURE -> "FAILURE";
        };
    }

    /** The origins to try, in order: the available ones in configured order, then the others (an ejected origin is a last resort). */
    private List<String> originOrder() {
        long now = System.currentTimeMillis();
        List<String> up = new ArrayList<>();
        List<String> down = new ArrayList<>();
        originHealth.forEach((region, h) -> {
            boolean available;
            synchronized (h) {
                available = h.available(now);
            }
            (available ? up : down).add(region);
        });
        up.addAll(down);
        return up;
    }

    private void served(String region, boolean failed, String problem) {
        UpstreamHealth h = originHealth.get(region);
        synchronized (h) {
            h.served(failed, problem, System.currentTimeMillis());
        }
    }

    // ---- purge ----

    private void purge(Request request, Response response, Callback callback) throws Exception {
        long started = System.nanoTime();
        byte[] body;
        try (java.io.InputStream in = Content.Source.asInputStream(request)) {
            body = in.readNBytes(65_537);
        }
        if (body.length > 65_536) {
            problem(request, response, callback, ProblemType.MALFORMED_REQUEST, 400, "a purge's body is at most 64 KiB", null);
            return;
        }
        List<String> paths = new ArrayList<>();
        try {
            JsonNode doc = JSON.readTree(body);
            for (JsonNode p : doc == null ? JSON.createArrayNode() : doc.path("paths")) {
                String text = p.isTextual() ? p.asText() : "";
                if (!text.startsWith("/")) {
                    throw new IllegalArgumentException("a path to purge starts with '/': " + p);
                }
                paths.add(text);
            }
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("expected {\"paths\": [\"/a/path\", \"/a/prefix/*\"]}");
            }
        } catch (IOException | IllegalArgumentException e) {
            problem(request, response, callback, ProblemType.MALFORMED_REQUEST, 400,
                    e instanceof IllegalArgumentException ? e.getMessage() : "the body is not JSON: " + e.getMessage(), null);
            return;
        }
        Map<String, Object> regions = new LinkedHashMap<>();
        regions.put(settings.region(), Map.of("confirmed", true, "entries", storage.purge(paths),
                "ms", (System.nanoTime() - started) / 1_000_000));
        boolean relayed = request.getHeaders().get(FROM_HEADER) != null;
        boolean all = true;
        if (!relayed) {
            Map<String, CompletableFuture<Map<String, Object>>> pending = new LinkedHashMap<>();
            settings.peers().forEach((region, url) -> pending.put(region, relay(url, body, started)));
            for (var e : pending.entrySet()) {
                Map<String, Object> r = e.getValue().join();
                all &= Boolean.TRUE.equals(r.get("confirmed"));
                regions.put(e.getKey(), r);
            }
        }
        Map<String, Object> report = new LinkedHashMap<>();
        if (!all) {
            report.put("type", ProblemType.UNAVAILABLE.uri());
            report.put("title", "Not every region's edge confirmed the purge");
            report.put("status", 502);
        }
        report.put("paths", paths);
        report.put("regions", regions);
        report.put("all_confirmed", all);
        report.put("took_ms", (System.nanoTime() - started) / 1_000_000);
        response.setStatus(all ? 200 : 502);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, all ? "application/json" : "application/problem+json");
        response.getHeaders().put(Headers.REGION, settings.region());
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(report)), callback);
    }

    private CompletableFuture<Map<String, Object>> relay(URI peer, byte[] body, long started) {
        java.net.http.HttpRequest r = java.net.http.HttpRequest.newBuilder(peer.resolve(PURGE_PATH)).timeout(settings.timeout())
                .header("Content-Type", "application/json").header(FROM_HEADER, settings.region())
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return purges.sendAsync(r, java.net.http.HttpResponse.BodyHandlers.ofByteArray()).handle((answer, failure) -> {
            Map<String, Object> out = new LinkedHashMap<>();
            long ms = (System.nanoTime() - started) / 1_000_000;
            if (failure != null || answer.statusCode() != 200) {
                out.put("confirmed", false);
                out.put("error", failure != null ? String.valueOf(failure.getCause() != null ? failure.getCause() : failure)
                        : "answered " + answer.statusCode());
            } else {
                out.put("confirmed", true);
                int entries = 0;
                try {
                    for (JsonNode region : JSON.readTree(answer.body()).path("regions")) {
                        entries += region.path("entries").asInt();
                    }
                } catch (IOException e) {
                    log.debug("a purge's answer did not parse: {}", e.toString());
                }
                out.put("entries", entries);
            }
            out.put("ms", ms);
            return out;
        });
    }

    /**
     * True when a cache key names a path the pattern purges: the same path, or any path under a
     * prefix written {@code /prefix/*}. Keys are the cache module's: an absolute URI, for a variant
     * prefixed with {@code {variant}}; the query is part of the key, not of the path.
     */
    static boolean purges(String key, String pattern) {
        String uri = key.startsWith("{") && key.indexOf('}') > 0 ? key.substring(key.indexOf('}') + 1) : key;
        String path;
        try {
            path = URI.create(uri).getRawPath();
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (path == null) {
            return false;
        }
        if (pattern.endsWith("*")) {
            return path.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return path.equals(pattern);
    }

    /** The cache module's memory storage (LRU-bounded), with the keys it holds remembered for purges. */
    private static final class KeyedStorage implements HttpCacheStorage {
        private final HttpCacheStorage delegate;
        private final int maxEntries;
        final Set<String> keys = ConcurrentHashMap.newKeySet();

        KeyedStorage(HttpCacheStorage delegate, int maxEntries) {
            this.delegate = delegate;
            this.maxEntries = maxEntries;
        }

        /** Forgets keys the storage evicted (LRU) without anyone asking for them again, so the set stays bounded. */
        private void forgetEvicted() throws ResourceIOException {
            if (keys.size() <= 2 * maxEntries) {
                return;
            }
            for (String key : List.copyOf(keys)) {
                if (delegate.getEntry(key) == null) {
                    keys.remove(key);
                }
            }
        }

        int purge(List<String> patterns) throws ResourceIOException {
            int removed = 0;
            for (String key : List.copyOf(keys)) {
                if (patterns.stream().anyMatch(p -> purges(key, p))) {
                    keys.remove(key);
                    if (delegate.getEntry(key) != null) {
                        removed++;
                    }
                    delegate.removeEntry(key);
                }
            }
            return removed;
        }

        @Override
        public void putEntry(String key, HttpCacheEntry entry) throws ResourceIOException {
            keys.add(key);
            delegate.putEntry(key, entry);
            forgetEvicted();
        }

        @Override
        public HttpCacheEntry getEntry(String key) throws ResourceIOException {
            HttpCacheEntry e = delegate.getEntry(key);
            if (e == null) {
                keys.remove(key); // evicted
            }
            return e;
        }

        @Override
        public void removeEntry(String key) throws ResourceIOException {
            keys.remove(key);
            delegate.removeEntry(key);
        }

        @Override
        public void updateEntry(String key, HttpCacheCASOperation casOperation) throws ResourceIOException {
            try {
                delegate.updateEntry(key, casOperation);
            } catch (org.apache.hc.client5.http.cache.HttpCacheUpdateException e) {
                throw new ResourceIOException(e.getMessage(), e);
            }
            keys.add(key);
        }

        @Override
        public Map<String, HttpCacheEntry> getEntries(Collection<String> keys) throws ResourceIOException {
            return delegate.getEntries(keys);
        }
    }

    // ---- health and errors ----

    private void health(Response response, Callback callback) throws Exception {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("region", settings.region());
        Map<String, Object> origins = new LinkedHashMap<>();
        long now = System.currentTimeMillis();
        originHealth.forEach((region, h) -> {
            synchronized (h) {
                origins.put(region, Map.of("url", settings.origins().get(region).toString(), "available", h.available(now),
                        "ejections", h.ejections(), "last_problem", h.lastProblem()));
            }
        });
        doc.put("origins", origins);
        doc.put("peers", settings.peers().keySet());
        doc.put("entries", entries());
        doc.put("max_entries", settings.maxEntries());
        Map<String, Long> counts = new LinkedHashMap<>();
        for (CacheResponseStatus s : CacheResponseStatus.values()) {
            counts.put(cacheStatus(s).toLowerCase(java.util.Locale.ROOT), answers.getOrDefault(s, new AtomicLong()).get());
        }
        doc.put("answers", counts);
        doc.put("origin_failovers", originFailovers.get());
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(Headers.REGION, settings.region());
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(doc)), callback);
    }

    private boolean problem(Request request, Response response, Callback callback, ProblemType type, int status, String detail,
                            String allow) throws Exception {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", type.uri());
        problem.put("title", type.title());
        problem.put("status", status);
        problem.put("detail", detail);
        problem.put("instance", request.getHttpURI().getPath());
        problem.put("region", settings.region());
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        response.getHeaders().put(Headers.REGION, settings.region());
        if (allow != null) {
            response.getHeaders().put(HttpHeader.ALLOW, allow);
        }
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(problem)), callback);
        return true;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("stopping the edge: {}", e.toString());
        }
        try {
            client.close();
        } catch (IOException e) {
            log.debug("closing the edge's client: {}", e.toString());
        }
        purges.shutdownNow();
        try {
            purges.awaitTermination(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
