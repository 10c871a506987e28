package io.meridian.cli;

import io.meridian.traffic.Edge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "edge", description = {
        "Run a region's edge in the foreground: a caching reverse proxy for static assets (HTTP caching semantics of",
        "RFC 9111, LRU-bounded), failing over to other regions' origins, with a purge that reaches every region's edge",
        "(docs/traffic.md)."})
final class EdgeCommand implements Callable<Integer> {
    @Option(names = "--region", required = true, description = "this edge's region")
    String region;

    @Option(names = "--listen", required = true, description = "host:port to listen on (port 0: any free one)")
    String listen;

    @Option(names = "--origin", required = true, description = "REGION=URL of an origin; repeat, in the order to try them (this region's first)")
    List<String> origins = new ArrayList<>();

    @Option(names = "--peer", description = "REGION=URL of another region's edge, for purges; repeat")
    List<String> peers = new ArrayList<>();

    @Option(names = "--max-entries", defaultValue = "10000", description = "the most responses kept (default: ${DEFAULT-VALUE})")
    int maxEntries;

    @Option(names = "--max-object-bytes", defaultValue = "8388608", description = "the largest body kept (default: ${DEFAULT-VALUE}, 8 MiB)")
    long maxObjectBytes;

    @Option(names = "--timeout-ms", defaultValue = "5000", description = "connect and response timeout towards origins and peers (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @picocli.CommandLine.Mixin
    TrafficTlsOptions tls;

    @Override
    public Integer call() throws InterruptedException {
        System.setProperty("meridian.region", region + "-edge");
        Edge edge;
        try {
            edge = new Edge(settings());
            edge.start();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("error: the edge did not start on " + listen + ": " + (e.getCause() != null ? e.getCause() : e));
            return 2;
        }
        System.out.println("edge of " + region + " on " + edge.settings().tls().scheme() + "://" + edge.settings().host() + ":" + edge.port() + ": origins "
                + String.join(", ", edge.settings().origins().keySet()) + "; peers "
                + (peers.isEmpty() ? "none" : String.join(", ", edge.settings().peers().keySet())) + "; at most " + maxEntries + " entries");
        return Foreground.runUntilStopped(edge);
    }

    Edge.Settings settings() {
        Foreground.Listen at = Foreground.Listen.parse(listen, "--listen");
        if (timeoutMs < 10) {
            throw new IllegalArgumentException("--timeout-ms is at least 10");
        }
        return new Edge.Settings(region, at.host(), at.port(), Foreground.regionUrls(origins, "--origin", null),
                Foreground.regionUrls(peers, "--peer", region), maxEntries, maxObjectBytes, Duration.ofMillis(timeoutMs),
                tls.tls());
    }
}
