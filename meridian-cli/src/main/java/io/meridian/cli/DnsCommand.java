package io.meridian.cli;

import io.meridian.core.traffic.DnsAnswers;
import io.meridian.traffic.DnsServer;
import io.meridian.traffic.RegionHealth;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dns", description = {
        "Run the service's authoritative DNS server in the foreground (UDP): A records of the healthy regions' gateways,",
        "nearest first for the asking client's region (subnet table, EDNS Client Subnet), health from the control plane's",
        "view of regions (docs/traffic.md)."})
final class DnsCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "the service name answered for, e.g. shop.meridian.test")
    String name;

    @Option(names = "--listen", defaultValue = "127.0.0.1:5353", description = "host:port to listen on, UDP (default: ${DEFAULT-VALUE})")
    String listen;

    @Option(names = "--gateway", required = true, description = "REGION=IPv4:PORT of a region's gateway; repeat for each region")
    List<String> gateways = new ArrayList<>();

    @Option(names = "--subnet", description = "CIDR=REGION: clients in this subnet are in this region; repeat")
    List<String> subnets = new ArrayList<>();

    @Option(names = "--nearest", description = "REGION=R1,R2,...: the regions nearest to REGION, nearest first; repeat")
    List<String> nearest = new ArrayList<>();

    @Option(names = "--ttl", defaultValue = "10", description = "the answers' time to live in seconds (default: ${DEFAULT-VALUE})")
    long ttl;

    @picocli.CommandLine.Mixin
    ConnectionOptions tls;

    @Option(names = "--health-from", description = "a node's URL to read the control plane's view of regions from; repeat (the first that answers)")
    List<String> nodes = new ArrayList<>();

    @Option(names = "--check-gateways", description = "also check each gateway's /meridian/gateway/health")
    boolean checkGateways;

    @Option(names = "--gateway-scheme", defaultValue = "http", description = "what gateways serve: http, or https (SRV records of"
            + " _https._tcp.NAME instead of _http._tcp.NAME; checked against --certs' ca.crt when given, else the JDK's trusted CAs)"
            + " (default: ${DEFAULT-VALUE})")
    String gatewayScheme;

    @Option(names = "--interval-ms", defaultValue = "1000", description = "how often health is read (default: ${DEFAULT-VALUE})")
    long intervalMs;

    @Override
    public Integer call() throws InterruptedException {
        System.setProperty("meridian.region", "dns");
        DnsServer.Settings settings;
        RegionHealth health;
        DnsServer server;
        try {
            settings = settings();
            List<String> regions = settings.gateways().stream().map(DnsServer.GatewayAddress::region).toList();
            Map<String, URI> checked = new LinkedHashMap<>();
            if (checkGateways) {
                for (DnsServer.GatewayAddress g : settings.gateways()) {
                    checked.put(g.region(), URI.create(gatewayScheme + "://" + java.net.InetAddress.getByAddress(g.address()).getHostAddress() + ":" + g.port()));
                }
            }
            List<URI> nodeUrls = nodes.stream().map(u -> Foreground.url(u, "--health-from", true)).toList();
            health = new RegionHealth(regions, nodeUrls, checked, Duration.ofMillis(Math.max(100, Math.min(intervalMs, 2000))),
                    tls.context(null));
            server = new DnsServer(settings, health::healthy);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        } catch (java.net.BindException e) {
            System.err.println("error: UDP " + listen + " is in use or not this machine's (" + e.getMessage() + ")");
            return 2;
        } catch (Exception e) {
            System.err.println("error: the DNS server did not start on " + listen + ": " + e);
            return 2;
        }
        health.start(Duration.ofMillis(intervalMs));
        server.start();
        System.out.println("DNS for " + settings.name() + " on " + settings.host() + ":" + server.port() + " (UDP, TTL " + ttl
                + " s): regions " + String.join(", ", settings.gateways().stream().map(DnsServer.GatewayAddress::region).toList())
                + "; health from " + (nodes.isEmpty() ? "no node (every region counts as healthy" + (checkGateways ? " while its gateway answers)" : ")")
                : String.join(", ", nodes) + (checkGateways ? " and the gateways" : "")));
        return Foreground.runUntilStopped(server, health);
    }

    DnsServer.Settings settings() {
        if (!gatewayScheme.equals("http") && !gatewayScheme.equals("https")) {
            throw new IllegalArgumentException("--gateway-scheme is http or https, not '" + gatewayScheme + "'");
        }
        Foreground.Listen at = Foreground.Listen.parse(listen, "--listen");
        List<DnsServer.GatewayAddress> addresses = new ArrayList<>();
        for (String g : gateways) {
            int eq = g.indexOf('=');
            int c = g.lastIndexOf(':');
            if (eq <= 0 || c < eq) {
                throw new IllegalArgumentException("--gateway '" + g + "' is not REGION=IPv4:PORT");
            }
            String region = g.substring(0, eq);
            byte[] address = DnsAnswers.literal(g.substring(eq + 1, c));
            if (address.length != 4) {
                throw new IllegalArgumentException("--gateway '" + g + "': an A record needs an IPv4 address");
            }
            if (addresses.stream().anyMatch(a -> a.region().equals(region))) {
                throw new IllegalArgumentException("--gateway '" + region + "' is named twice");
            }
            int p = Foreground.port(g.substring(c + 1), "--gateway '" + g + "'");
            if (p == 0) {
                throw new IllegalArgumentException("--gateway '" + g + "': port 0");
            }
            addresses.add(new DnsServer.GatewayAddress(region, address, p));
        }
        List<String> known = addresses.stream().map(DnsServer.GatewayAddress::region).toList();
        List<DnsAnswers.Subnet> subnetList = new ArrayList<>();
        for (String s : subnets) {
            DnsAnswers.Subnet subnet = DnsAnswers.Subnet.parse(s);
            if (!known.contains(subnet.region())) {
                throw new IllegalArgumentException("--subnet '" + s + "': no --gateway for region '" + subnet.region() + "'");
            }
            subnetList.add(subnet);
        }
        Map<String, List<String>> order = new LinkedHashMap<>();
        for (String n : nearest) {
            int eq = n.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--nearest '" + n + "' is not REGION=R1,R2,...");
            }
            List<String> list = List.of(n.substring(eq + 1).split(","));
            for (String r : list) {
                if (!known.contains(r)) {
                    throw new IllegalArgumentException("--nearest '" + n + "': no --gateway for region '" + r + "'");
                }
            }
            order.put(n.substring(0, eq), list);
        }
        if (intervalMs < 10) {
            throw new IllegalArgumentException("--interval-ms is at least 10");
        }
        return new DnsServer.Settings(name, at.host(), at.port(), addresses, subnetList, order, ttl, gatewayScheme);
    }
}
