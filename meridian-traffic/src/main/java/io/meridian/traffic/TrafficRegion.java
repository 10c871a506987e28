package io.meridian.traffic;

import io.meridian.client.MeridianClient;
import io.meridian.core.traffic.TrafficPlan;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One region's traffic layer in the lab, in one process: the demo shop (using Meridian through the
 * region-aware client, this region's node first), the gateway in front of it (peers: the other
 * regions' gateways, nearest first) and the edge (origins: this region's gateway, then the
 * others'; peers: the other edges). Killing this process is the region's traffic layer lost.
 */
public final class TrafficRegion implements AutoCloseable {
    private final MeridianClient client;
    private final DemoShop shop;
    private final Gateway gateway;
    private final Edge edge;

    public TrafficRegion(TrafficPlan plan, String region) {
        this(plan, region, null, TrafficTls.PLAIN);
    }

    /**
     * @param tls     how the demo shop reaches regions served over HTTPS (null: plain HTTP)
     * @param traffic what the gateway and the edge show (the plan says whether they serve HTTPS), and whom they trust
     */
    public TrafficRegion(TrafficPlan plan, String region, javax.net.ssl.SSLContext tls, TrafficTls traffic) {
        TrafficPlan.Region me = plan.require(region);
        if (me.tls() != traffic.serves()) {
            throw new IllegalArgumentException("the plan has " + region + "'s gateway and edge serve " + (me.tls() ? "HTTPS" : "plain HTTP")
                    + ", but they were given " + (traffic.serves() ? "a certificate" : "none"));
        }
        String[] nodes = me.nearest().stream().map(r -> plan.require(r).node()).toArray(String[]::new);
        this.client = MeridianClient.builder().regions(nodes).preferredRegions(region).sessions(false).tls(tls)
                .timeout(Duration.ofSeconds(2)).deadline(Duration.ofSeconds(5)).build();
        this.shop = new DemoShop(region, "127.0.0.1", me.servicePort(), client);
        Map<String, URI> peerGateways = new LinkedHashMap<>();
        Map<String, URI> origins = new LinkedHashMap<>();
        Map<String, URI> peerEdges = new LinkedHashMap<>();
        origins.put(region, URI.create(me.gatewayUrl()));
        for (String other : me.nearest()) {
            if (!other.equals(region)) {
                TrafficPlan.Region o = plan.require(other);
                peerGateways.put(other, URI.create(o.gatewayUrl()));
                origins.put(other, URI.create(o.gatewayUrl()));
                peerEdges.put(other, URI.create(o.edgeUrl()));
            }
        }
        this.gateway = new Gateway(new Gateway.Settings(region, "127.0.0.1", me.gatewayPort(), List.of(URI.create(me.serviceUrl())),
                peerGateways, "/health", Duration.ofSeconds(1), Duration.ofSeconds(2), traffic));
        this.edge = new Edge(new Edge.Settings(region, "127.0.0.1", me.edgePort(), origins, peerEdges, 10_000, 8 << 20,
                Duration.ofSeconds(5), traffic));
    }

    public void start() throws Exception {
        shop.start();
        gateway.start();
        edge.start();
    }

    @Override
    public void close() {
        edge.close();
        gateway.close();
        shop.close();
        client.close();
    }
}
