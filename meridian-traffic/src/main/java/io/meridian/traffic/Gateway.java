package io.meridian.traffic;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.Headers;
import io.meridian.core.traffic.GatewayRoutes;
import io.meridian.core.traffic.UpstreamHealth;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A regional gateway: a reverse proxy (Jetty's proxy module) in front of the instances of a
 * user's stateless HTTP service in one region. It checks each instance ({@code GET
 * healthPath}) and each other region's gateway ({@code GET /meridian/gateway/health}) every
 * check interval, ejects an instance whose requests keep failing, and sends each request where
 * {@link GatewayRoutes} decides: a healthy local instance, else the nearest region whose gateway
 * has one; never further than one region. Answers carry {@code Meridian-Region} (the region whose
 * instance answered) and pin the user to that region with a cookie; everything else (the
 * session token included) passes through untouched.
 *
 * <p>{@code /meridian/gateway/health} is the gateway's own: 200 when some instance here can take
 * requests, 503 when none can, with each instance's state.
 */
public final class Gateway implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Gateway.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String HEALTH_PATH = "/meridian/gateway/health";
    private static final String ROUTE = "meridian.gateway.route";

    /**
     * @param region        this gateway's region
     * @param host          the address to listen on
     * @param port          the port (0: any free one)
     * @param instances     this region's service instances (base URLs)
     * @param peers         the other regions' gateways (base URLs), nearest first
     * @param healthPath    the instances' health check path
     * @param checkInterval how often every instance and peer is checked
     * @param timeout       how long a check, or a proxied request's answer, may take
     * @param tls           what the listener shows, and whom HTTPS instances and peers must prove to be
     */
    public record Settings(String region, String host, int port, List<URI> instances, Map<String, URI> peers, String healthPath,
                           Duration checkInterval, Duration timeout, TrafficTls tls) {
        /** Plain HTTP in; HTTPS instances and peers checked by the JDK's trusted CAs. */
        public Settings(String region, String host, int port, List<URI> instances, Map<String, URI> peers, String healthPath,
                        Duration checkInterval, Duration timeout) {
            this(region, host, port, instances, peers, healthPath, checkInterval, timeout, TrafficTls.PLAIN);
        }

        public Settings {
            tls = tls == null ? TrafficTls.PLAIN : tls;
            instances = List.copyOf(instances);
            peers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(peers));
            if (instances.isEmpty() && peers.isEmpty()) {
                throw new IllegalArgumentException("a gateway needs instances of its region or other regions' gateways");
            }
            if (!healthPath.startsWith("/")) {
                throw new IllegalArgumentException("the health path must start with '/': " + healthPath);
            }
        }
    }

    private final Settings settings;
    private final Server server;
    private final ServerConnector connector;
    private final List<UpstreamHealth> instanceHealth = new ArrayList<>();
    private final Map<String, UpstreamHealth> peerHealth = new LinkedHashMap<>();
    private final AtomicLong turn = new AtomicLong();
    private final ScheduledExecutorService checker;
    private final java.net.http.HttpClient checks;

    public Gateway(Settings settings) {
        this.settings = settings;
        settings.instances().forEach(i -> instanceHealth.add(new UpstreamHealth()));
        settings.peers().keySet().forEach(p -> peerHealth.put(p, new UpstreamHealth()));
        this.server = new Server();
        this.connector = settings.tls().connector(server, new org.eclipse.jetty.server.HttpConfiguration());
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        server.addConnector(connector);
        Proxy proxy = new Proxy();
        server.setHandler(new Front(proxy));
        this.checks = settings.tls().checks(settings.timeout());
        this.checker = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("gateway-checks").unstarted(r));
    }

    public Settings settings() {
        return settings;
    }

    public void start() throws Exception {
        server.start();
        long every = settings.checkInterval().toMillis();
        checker.scheduleWithFixedDelay(this::checkAll, 0, every, TimeUnit.MILLISECONDS);
        log.info("gateway of {} on {}://{}:{}: {} instances, peers {}", settings.region(), settings.tls().scheme(), settings.host(), port(),
                settings.instances().size(), settings.peers().keySet());
    }

    public int port() {
        return connector.getLocalPort();
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    // ---- health ----

    private void checkAll() {
        try {
            List<java.util.concurrent.CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < settings.instances().size(); i++) {
                all.add(check(settings.instances().get(i).resolve(settings.healthPath()), instanceHealth.get(i)));
            }
            settings.peers().forEach((region, url) -> all.add(check(url.resolve(HEALTH_PATH), peerHealth.get(region))));
            java.util.concurrent.CompletableFuture.allOf(all.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(settings.timeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.debug("a round of checks did not finish: {}", e.toString());
        }
    }

    private java.util.concurrent.CompletableFuture<?> check(URI url, UpstreamHealth health) {
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(url).timeout(settings.timeout()).GET().build();
        return checks.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.discarding()).handle((r, failure) -> {
            boolean passed = failure == null && r.statusCode() >= 200 && r.statusCode() < 300;
            String problem = passed ? "" : failure != null ? "check failed: " + failure : "check answered " + r.statusCode();
            synchronized (health) {
                health.checked(passed, problem, now());
            }
            return null;
        });
    }

    private boolean available(UpstreamHealth h) {
        synchronized (h) {
            return h.available(now());
        }
    }

    /** Whether some instance of this region may take requests now. */
    public boolean serving() {
        return instanceHealth.stream().anyMatch(this::available);
    }

    // ---- requests ----

    /** Answers the gateway's own health, and decides each other request's route before the proxy sends it. */
    private final class Front extends Handler.Wrapper {
        Front(Handler proxy) {
            super(proxy);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            if (HEALTH_PATH.equals(Request.getPathInContext(request))) {
                health(response, callback);
                return true;
            }
            String from = request.getHeaders().get(GatewayRoutes.FROM_HEADER);
            String affinity = null;
            for (HttpCookie c : Request.getCookies(request)) {
                if (c.getName().equals(GatewayRoutes.AFFINITY_COOKIE)) {
                    affinity = c.getValue();
                }
            }
            List<Boolean> local = instanceHealth.stream().map(Gateway.this::available).toList();
            List<GatewayRoutes.Peer> peers = new ArrayList<>();
            peerHealth.forEach((region, h) -> peers.add(new GatewayRoutes.Peer(region, available(h))));
            GatewayRoutes.Decision d = GatewayRoutes.decide(settings.region(), local, peers, from, affinity, turn.getAndIncrement());
            if (d.route() instanceof GatewayRoutes.Route.Refuse refuse) {
                refuse(request, response, callback, refuse.why());
                return true;
            }
            request.setAttribute(ROUTE, d.route());
            if (d.route() instanceof GatewayRoutes.Route.Local) {
                response.getHeaders().put(Headers.REGION, settings.region());
            }
            if (d.pin() != null && from == null) {
                response.getHeaders().add(HttpHeader.SET_COOKIE, GatewayRoutes.AFFINITY_COOKIE + "=" + d.pin()
                        + "; Path=/; HttpOnly; SameSite=Lax");
            }
            return super.handle(request, response, callback);
        }
    }

    private void health(Response response, Callback callback) throws Exception {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("region", settings.region());
        List<Map<String, Object>> instances = new ArrayList<>();
        for (int i = 0; i < settings.instances().size(); i++) {
            UpstreamHealth h = instanceHealth.get(i);
            Map<String, Object> one = new LinkedHashMap<>();
            synchronized (h) {
                one.put("url", settings.instances().get(i).toString());
                one.put("available", h.available(now()));
                one.put("healthy", h.healthy());
                one.put("ejected", h.ejected(now()));
                one.put("ejections", h.ejections());
                one.put("last_problem", h.lastProblem());
            }
            instances.add(one);
        }
        doc.put("instances", instances);
        Map<String, Boolean> peers = new LinkedHashMap<>();
        peerHealth.forEach((region, h) -> peers.put(region, available(h)));
        doc.put("peers", peers);
        boolean serving = serving();
        doc.put("serving", serving);
        response.setStatus(serving ? 200 : 503);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(Headers.REGION, settings.region());
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(doc)), callback);
    }

    private void refuse(Request request, Response response, Callback callback, String why) throws Exception {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", io.meridian.core.ProblemType.UNAVAILABLE.uri());
        problem.put("title", "No region can serve this request now");
        problem.put("status", 503);
        problem.put("detail", why);
        problem.put("instance", request.getHttpURI().getPath());
        problem.put("region", settings.region());
        response.setStatus(503);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        response.getHeaders().put(Headers.REGION, settings.region());
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(problem)), callback);
    }

    /** The proxy: sends each request to the target its route names, and learns from how it went. */
    private final class Proxy extends ProxyHandler {
        @Override
        protected org.eclipse.jetty.client.HttpClient newHttpClient() {
            return settings.tls().jettyClient();
        }

        @Override
        protected HttpURI rewriteHttpURI(Request request) {
            URI base = target((GatewayRoutes.Route) request.getAttribute(ROUTE));
            HttpURI in = request.getHttpURI();
            return HttpURI.build(in).scheme(base.getScheme()).host(base.getHost()).port(base.getPort()).asImmutable();
        }

        @Override
        protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxyRequest, HttpURI newHttpURI) {
            org.eclipse.jetty.client.Request out = super.newProxyToServerRequest(clientToProxyRequest, newHttpURI)
                    .timeout(settings.timeout().toMillis() * 10, TimeUnit.MILLISECONDS);
            if (clientToProxyRequest.getAttribute(ROUTE) instanceof GatewayRoutes.Route.Remote) {
                out.headers(h -> h.put(GatewayRoutes.FROM_HEADER, settings.region()));
            }
            return out;
        }

        @Override
        protected void onServerToProxyResponseFailure(Request clientToProxyRequest,
                                                      org.eclipse.jetty.client.Request proxyToServerRequest,
                                                      org.eclipse.jetty.client.Response serverToProxyResponse,
                                                      Response proxyToClientResponse, Callback proxyToClientCallback,
                                                      Throwable failure) {
            served(clientToProxyRequest, true, "request failed: " + failure);
            super.onServerToProxyResponseFailure(clientToProxyRequest, proxyToServerRequest, serverToProxyResponse,
                    proxyToClientResponse, proxyToClientCallback, failure);
        }

        @Override
        protected void onProxyToClientResponseComplete(Request clientToProxyRequest,
                                                       org.eclipse.jetty.client.Request proxyToServerRequest,
                                                       org.eclipse.jetty.client.Response serverToProxyResponse,
                                                       Response proxyToClientResponse, Callback proxyToClientCallback) {
            int status = serverToProxyResponse.getStatus();
            served(clientToProxyRequest, status >= 500, "answered " + status);
            super.onProxyToClientResponseComplete(clientToProxyRequest, proxyToServerRequest, serverToProxyResponse,
                    proxyToClientResponse, proxyToClientCallback);
        }
    }

    private URI target(GatewayRoutes.Route route) {
        return switch (route) {
            case GatewayRoutes.Route.Local l -> settings.instances().get(l.instance());
            case GatewayRoutes.Route.Remote r -> settings.peers().get(r.region());
            case GatewayRoutes.Route.Refuse r -> throw new IllegalStateException("a refused request is not proxied");
        };
    }

    private void served(Request request, boolean failed, String problem) {
        UpstreamHealth h = switch ((GatewayRoutes.Route) request.getAttribute(ROUTE)) {
            case GatewayRoutes.Route.Local l -> instanceHealth.get(l.instance());
            case GatewayRoutes.Route.Remote r -> peerHealth.get(r.region());
            case null, default -> null;
        };
        if (h != null) {
            synchronized (h) {
                h.served(failed, problem, now());
            }
        }
    }

    @Override
    public void close() {
        checker.shutdownNow();
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("stopping the gateway: {}", e.toString());
        }
        checks.shutdownNow();
    }
}
