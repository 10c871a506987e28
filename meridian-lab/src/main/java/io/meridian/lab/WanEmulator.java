package io.meridian.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meridian.core.config.LinkConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.config.WanConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's WAN: a {@link LinkProxy} for every link of the configuration, shaped by its
 * {@code wan} section, and a small HTTP control API to cut and heal links:
 *
 * <pre>
 * GET  /v1/links                       every link with its delay, state and traffic
 * POST /v1/partition?a=REGION&amp;b=REGION  cut both directions between two regions
 * POST /v1/heal[?a=REGION&amp;b=REGION]     heal those two, or every link
 * </pre>
 */
public final class WanEmulator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WanEmulator.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private final List<LinkProxy> links;
    private final HttpServer control;

    private WanEmulator(List<LinkProxy> links, HttpServer control) {
        this.links = links;
        this.control = control;
    }

    /** Binds every link and the control API, or fails naming the address that could not be bound. */
    public static WanEmulator start(MeridianConfig config) throws IOException {
        WanConfig wan = config.wan().orElseThrow(() -> new IllegalArgumentException(
                "the configuration has no 'wan' section; the WAN emulator needs one"));
        List<LinkProxy> links = new ArrayList<>();
        try {
            long jitterNanos = Math.round(wan.jitterMillis() * wan.latencyScale() * 1e6);
            for (LinkConfig link : config.links()) {
                var to = config.region(link.to()).orElseThrow();
                long delayNanos = Math.round(wan.oneWayMillis(link.from(), link.to()) * 1e6);
                // HTTP and replication share the link's bandwidth, as they would share a WAN path.
                LinkShaper shaper = new LinkShaper(delayNanos, wan.bandwidthBytesPerSecond());
                links.add(bind(link, "http", link.via(), new InetSocketAddress(to.http().host(), to.http().port()),
                        shaper, jitterNanos, wan.captureDir()));
                if (link.replicationVia().isPresent() && to.replication().isPresent()) {
                    var target = to.replication().get();
                    links.add(bind(link, "replication", link.replicationVia().get(),
                            new InetSocketAddress(target.host(), target.port()), shaper, jitterNanos, wan.captureDir()));
                }
                if (link.consensusVia().isPresent() && to.consensus().isPresent()) {
                    var target = to.consensus().get();
                    links.add(bind(link, "consensus", link.consensusVia().get(),
                            new InetSocketAddress(target.host(), target.port()), shaper, jitterNanos, wan.captureDir()));
                }
            }
            HttpServer control = HttpServer.create();
            try {
                control.bind(new InetSocketAddress(wan.control().host(), wan.control().port()), 16);
            } catch (java.net.BindException e) {
                throw new java.net.BindException(wan.control().bindFailure("the WAN control API", e.getMessage()));
            }
            WanEmulator emulator = new WanEmulator(links, control);
            control.createContext("/", emulator::handle);
            control.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            control.start();
            log.info("WAN emulator: {} links, latency scale {}, jitter {} ms, bandwidth {} B/s; control on {}",
                    links.size(), wan.latencyScale(), wan.jitterMillis(), wan.bandwidthBytesPerSecond(), wan.control());
            return emulator;
        } catch (IOException | RuntimeException e) {
            links.forEach(LinkProxy::close);
            throw e;
        }
    }

    private static LinkProxy bind(LinkConfig link, String kind, io.meridian.core.config.HostPort listen,
                                  InetSocketAddress target, LinkShaper shaper, long jitterNanos,
                                  java.util.Optional<String> captureDir) throws IOException {
        try {
            LinkProxy proxy = new LinkProxy(link.from(), link.to(), kind, new InetSocketAddress(listen.host(), listen.port()),
                    target, shaper, jitterNanos);
            if (captureDir.isPresent()) {
                java.nio.file.Path dir = java.nio.file.Path.of(captureDir.get());
                java.nio.file.Files.createDirectories(dir);
                proxy.captureTo(dir.resolve(link.from() + "-" + link.to() + "-" + kind + ".bin"));
            }
            return proxy;
        } catch (java.net.BindException e) {
            throw new java.net.BindException(listen.bindFailure("the " + kind + " link " + link.from() + " -> " + link.to(),
                    e.getMessage()));
        }
    }

    /** Cuts both directions between two regions. @return how many links were cut */
    public int partition(String a, String b) {
        return apply(a, b, true);
    }

    /** Heals both directions between two regions, or every link when both are null. */
    public int heal(String a, String b) {
        return apply(a, b, false);
    }

    private int apply(String a, String b, boolean cut) {
        int n = 0;
        for (LinkProxy l : links) {
            boolean match = a == null || (l.from.equals(a) && l.to.equals(b)) || (l.from.equals(b) && l.to.equals(a));
            if (match) {
                if (cut) {
                    l.cut();
                } else {
                    l.heal();
                }
                n++;
            }
        }
        return n;
    }

    /**
     * A link as it stands: {@code bytesForwarded} both ways on the connections {@code from} dialled
     * through it, of which {@code bytesBack} went back from {@code to}.
     */
    public record LinkView(String from, String to, String kind, int listenPort, String target, double oneWayMs, boolean cut,
                           long connectionsAccepted, int connectionsOpen, long bytesForwarded, long bytesBack, long bytesSwallowed,
                           Lateness late) {
    }

    /**
     * How late a link's chunks were forwarded past their due time, since the link opened or the
     * last {@code POST /v1/links/reset-stats}: the emulator's own error on top of the emulated
     * delay (it shares the machine's cores with the regions). Milliseconds; {@code chunks} is how
     * many were measured.
     */
    public record Lateness(long chunks, double p50Ms, double p99Ms, double maxMs) {
    }

    public List<LinkView> links() {
        return links.stream().map(l -> new LinkView(l.from, l.to, l.kind, l.port(), l.target(), l.oneWayMillis(), l.isCut(),
                l.connectionsAccepted(), l.openConnections(), l.bytesForwarded(), l.bytesBack(), l.bytesSwallowed(), l.lateness())).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            URI uri = ex.getRequestURI();
            Map<String, String> query = query(uri.getRawQuery());
            String path = uri.getPath();
            String method = ex.getRequestMethod();
            if (path.equals("/v1/links") && method.equals("GET")) {
                respond(ex, 200, "application/json", Map.of("links", links()));
            } else if (path.equals("/v1/links/reset-stats") && method.equals("POST")) {
                links.forEach(LinkProxy::resetLateness);
                respond(ex, 200, "application/json", Map.of("links", links()));
            } else if ((path.equals("/v1/partition") || path.equals("/v1/heal")) && method.equals("POST")) {
                String a = query.get("a");
                String b = query.get("b");
                boolean partition = path.equals("/v1/partition");
                if ((a == null) != (b == null) || (partition && a == null)) {
                    problem(ex, 400, "invalid-parameter", "expected two regions as ?a=REGION&b=REGION");
                    return;
                }
                int n = partition ? partition(a, b) : heal(a, b);
                if (n == 0) {
                    problem(ex, 404, "unknown-region", "no link joins '" + a + "' and '" + b + "'");
                    return;
                }
                respond(ex, 200, "application/json", Map.of("links", links()));
            } else {
                problem(ex, 404, "not-found", method + " " + path + " is not part of the WAN control API");
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    private static void problem(HttpExchange ex, int status, String slug, String detail) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "urn:meridian:problem:" + slug);
        body.put("status", status);
        body.put("detail", detail);
        respond(ex, status, "application/problem+json", body);
    }

    private static void respond(HttpExchange ex, int status, String type, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        control.stop(0);
        links.forEach(LinkProxy::close);
    }
}
