package io.meridian.cli;

import io.meridian.traffic.Gateway;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gateway", description = {
        "Run a region's gateway in the foreground: a reverse proxy in front of your stateless service's instances in this",
        "region that checks them, ejects failing ones, and forwards to the nearest healthy region's gateway when none is",
        "healthy here (docs/traffic.md)."})
final class GatewayCommand implements Callable<Integer> {
    @Option(names = "--region", required = true, description = "this gateway's region")
    String region;

    @Option(names = "--listen", required = true, description = "host:port to listen on (port 0: any free one)")
    String listen;

    @Option(names = "--instance", description = "a service instance of this region (base URL, http or https); repeat for each")
    List<String> instances = new ArrayList<>();

    @Option(names = "--peer", description = "REGION=URL of another region's gateway; repeat, nearest first")
    List<String> peers = new ArrayList<>();

    @Option(names = "--health-path", defaultValue = "/health", description = "the instances' health check path (default: ${DEFAULT-VALUE})")
    String healthPath;

    @Option(names = "--check-interval-ms", defaultValue = "1000", description = "how often instances and peers are checked (default: ${DEFAULT-VALUE})")
    long checkIntervalMs;

    @Option(names = "--timeout-ms", defaultValue = "2000", description = "how long a check may take (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @picocli.CommandLine.Mixin
    TrafficTlsOptions tls;

    @Override
    public Integer call() throws InterruptedException {
        System.setProperty("meridian.region", region + "-gateway");
        Gateway gateway;
        try {
            gateway = new Gateway(settings());
            gateway.start();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("error: the gateway did not start on " + listen + ": " + (e.getCause() != null ? e.getCause() : e));
            return 2;
        }
        System.out.println("gateway of " + region + " on " + gateway.settings().tls().scheme() + "://" + gateway.settings().host() + ":" + gateway.port() + ": "
                + instances.size() + " instance(s), peers " + (peers.isEmpty() ? "none" : String.join(", ",
                gateway.settings().peers().keySet())));
        return Foreground.runUntilStopped(gateway);
    }

    Gateway.Settings settings() {
        Foreground.Listen at = Foreground.Listen.parse(listen, "--listen");
        List<URI> urls = instances.stream().map(u -> Foreground.url(u, "--instance", true)).toList();
        Map<String, URI> peerUrls = Foreground.regionUrls(peers, "--peer", region);
        if (checkIntervalMs < 10 || timeoutMs < 10) {
            throw new IllegalArgumentException("--check-interval-ms and --timeout-ms are at least 10");
        }
        return new Gateway.Settings(region, at.host(), at.port(), urls, peerUrls, healthPath,
                Duration.ofMillis(checkIntervalMs), Duration.ofMillis(timeoutMs), tls.tls());
    }
}
