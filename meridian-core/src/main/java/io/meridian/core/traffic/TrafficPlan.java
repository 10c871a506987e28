package io.meridian.core.traffic;

import java.util.List;
import java.util.Optional;

/**
 * Where the lab's traffic layer runs: per region its demo service, gateway and edge ports and its
 * node, with the regions nearest first; and the DNS for the whole lab. Written by
 * {@code lab up --traffic} as JSON (snake_case) for each region's traffic process to read.
 *
 * @param serviceName the name the DNS answers for
 * @param dnsPort     the DNS server's UDP port on 127.0.0.1
 */
public record TrafficPlan(String serviceName, int dnsPort, List<Region> regions) {
    public TrafficPlan {
        regions = List.copyOf(regions);
    }

    /**
     * @param nearest every region, this one first, then the others nearest first (by the emulated delays)
     * @param subnet  the client subnet whose users are in this region, e.g. {@code 10.1.0.0/16}
     * @param tls     whether the gateway and the edge serve HTTPS, showing the region's certificate (a lab with TLS); the
     *                demo service behind them stays plain HTTP on the loopback
     */
    public record Region(String name, String node, int servicePort, int gatewayPort, int edgePort, String subnet,
                         List<String> nearest, boolean tls) {
        public Region {
            nearest = List.copyOf(nearest);
        }

        public String serviceUrl() {
            return "http://127.0.0.1:" + servicePort;
        }

        public String gatewayUrl() {
            return (tls ? "https" : "http") + "://127.0.0.1:" + gatewayPort;
        }

        public String edgeUrl() {
            return (tls ? "https" : "http") + "://127.0.0.1:" + edgePort;
        }
    }

    public Optional<Region> region(String name) {
        return regions.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    public Region require(String name) {
        return region(name).orElseThrow(() -> new IllegalArgumentException("region '" + name + "' is not in the traffic plan; regions: "
                + String.join(", ", regions.stream().map(Region::name).toList())));
    }
}
