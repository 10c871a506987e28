package io.meridian.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Which regions the traffic layer may send users to, from the control plane's view: every
 * interval it reads {@code GET /v1/failovers} from the first of the deployment's nodes that
 * answers, and a region is healthy while its status there is {@code active}, {@code rejoined}
 * or {@code draining} (not {@code fenced} or {@code failed}), so the DNS agrees with failover
 * decisions. With gateway checks on, a region is healthy only if its gateway also answers
 * {@code GET /meridian/gateway/health} with 200 (some instance of it can serve). When no node
 * answers, the control plane's last view stands (and the gateway checks still apply).
 */
public final class RegionHealth implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RegionHealth.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SERVING = Set.of("active", "rejoined", "draining");

    private final List<URI> nodes;
    private final Map<String, URI> gateways;
    private final Duration timeout;
    private final HttpClient http;
    private final ScheduledExecutorService poller;
    private final Map<String, Boolean> controlPlane = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Boolean> gatewayUp = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile String source = "none yet";

    /**
     * @param regions  every region to judge
     * @param nodes    nodes of the deployment to read the control plane's view from (empty: none)
     * @param gateways the gateways to check, per region (empty: no gateway checks)
     */
    public RegionHealth(List<String> regions, List<URI> nodes, Map<String, URI> gateways, Duration timeout) {
        this(regions, nodes, gateways, timeout, null);
    }

    /** @param tls how to reach nodes served over HTTPS (null: the JDK's default) */
    public RegionHealth(List<String> regions, List<URI> nodes, Map<String, URI> gateways, Duration timeout,
                        javax.net.ssl.SSLContext tls) {
        this.nodes = List.copyOf(nodes);
        this.gateways = new LinkedHashMap<>(gateways);
        this.timeout = timeout;
        regions.forEach(r -> controlPlane.put(r, true));
        gateways.keySet().forEach(r -> gatewayUp.put(r, true));
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
        this.http = (tls == null ? b : b.sslContext(tls)).build();
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("region-health").unstarted(r));
    }

    public void start(Duration every) {
        poller.scheduleWithFixedDelay(this::poll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The regions healthy now. */
    public Set<String> healthy() {
        Set<String> out = new TreeSet<>();
        controlPlane.forEach((region, ok) -> {
            if (ok && gatewayUp.getOrDefault(region, true)) {
                out.add(region);
            }
        });
        return out;
    }

    /** Where the control plane's view last came from. */
    public String source() {
        return source;
    }

    void poll() {
        for (URI node : nodes) {
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(node.resolve("/v1/failovers")).timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    continue;
                }
                for (JsonNode region : JSON.readTree(r.body()).path("regions")) {
                    String name = region.path("name").asText();
                    if (controlPlane.containsKey(name)) {
                        controlPlane.put(name, SERVING.contains(region.path("status").asText()));
                    }
                }
                source = node.toString();
                break;
            } catch (java.io.IOException e) {
                log.debug("control plane view from {} not read: {}", node, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        gateways.forEach((region, url) -> {
            boolean up;
            try {
                up = http.send(HttpRequest.newBuilder(url.resolve(Gateway.HEALTH_PATH)).timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (java.io.IOException e) {
                up = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            gatewayUp.put(region, up);
        });
    }

    @Override
    public void close() {
        poller.shutdownNow();
        http.shutdownNow();
    }
}
