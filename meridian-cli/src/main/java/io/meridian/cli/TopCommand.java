package io.meridian.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.lab.LabException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meridian top}: every region's figures on one refreshing screen, for operators on a
 * shell: status and lease, request rate, p99 and errors, unreplicated writes and conflicts; per
 * link the round trip, replication lag and bytes per second; keyspaces with writes only one
 * region holds; open failover decisions.
 */
@Command(name = "top", description = "Every region's figures on one refreshing screen: status, requests, links, lag, exposure, decisions.",
        footer = {"", "Examples:", "  ./meridian top                 refresh every 2 s until Ctrl-C",
                "  ./meridian top --once          one screen (two samples a second apart), then exit",
                "  ./meridian top --once --json   the same as JSON"})
final class TopCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = io.meridian.core.api.ApiJson.MAPPER;

    @Option(names = "--url", paramLabel = "URL", description = "any node's base URL; the others are found through it (default: the lab's regions)")
    String url;

    @Option(names = "--lab-dir", paramLabel = "DIR", description = "the lab's state directory (default: as `lab`)")
    Path labDir;

    @Option(names = "--interval", paramLabel = "DURATION",
            description = "time between refreshes, e.g. 2s or 500ms (default: 2s; with --once, 1s)")
    String interval;

    @Option(names = "--once", description = "print one screen (from two samples a second apart, or --interval) and exit")
    boolean once;

    @Option(names = "--frames", paramLabel = "N", description = "stop after N screens (default: until Ctrl-C)")
    Integer frames;

    @Option(names = "--json", description = "print each screen as one line of JSON")
    boolean json;

    @picocli.CommandLine.Mixin
    ConnectionOptions tls;

    /** Built once the options are known: over TLS with --certs, or with the lab's CA when it runs with TLS. */
    private HttpClient http;

    @Override
    public Integer call() throws Exception {
        javax.net.ssl.SSLContext context;
        try {
            context = tls.context(url == null ? LabCommand.lab(labDir) : null);
        } catch (java.io.IOException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        http = (context == null ? b : b.sslContext(context)).build();
        Duration every;
        try {
            every = interval == null ? Duration.ofSeconds(once ? 1 : 2) : parseDuration(interval);
        } catch (IllegalArgumentException e) {
            System.err.println("error: --interval " + e.getMessage());
            return 2;
        }
        if (frames != null && frames < 1) {
            System.err.println("error: --frames must be at least 1, not " + frames);
            return 2;
        }
        Map<String, String> regions;
        try {
            regions = regions();
        } catch (LabException | IOException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        int limit = once ? 1 : frames == null ? Integer.MAX_VALUE : frames;
        boolean terminal = System.console() != null && !json;
        List<TopFrame.Sample> before = sample(regions);
        Thread.sleep(every.toMillis());
        for (int shown = 0; shown < limit; shown++) {
            List<TopFrame.Sample> now = sample(regions);
            TopFrame frame = TopFrame.of(Instant.now(), before, now);
            if (json) {
                System.out.println(JSON.writeValueAsString(frame));
            } else {
                System.out.print((terminal ? "\033[H\033[2J" : shown > 0 ? "\n" : "") + frame.render(once
                        ? String.format(java.util.Locale.ROOT, "rates over %.1f s", frame.seconds())
                        : "every " + (interval == null ? "2s" : interval) + ", rates over the last; Ctrl-C quits"));
            }
            System.out.flush();
            before = now;
            if (shown + 1 < limit) {
                Thread.sleep(every.toMillis());
            }
        }
        return 0;
    }

    /** Region → base URL: the lab's, or those the node at --url names in its cluster view. */
    private Map<String, String> regions() throws IOException, InterruptedException {
        Map<String, String> out = new LinkedHashMap<>();
        if (url == null) {
            LabCommand.running(labDir).regions().forEach(r -> out.put(r.name(), r.url()));
            return out;
        }
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        JsonNode cluster;
        try {
            cluster = get(base + "/v1/cluster");
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot connect to " + URI.create(base).getAuthority() + ": nothing listens there (the node is down,"
                    + " or the address is wrong)");
        } catch (IllegalArgumentException e) {
            throw new IOException("--url " + url + " is not a URL like http://127.0.0.1:7001");
        }
        cluster.path("regions").forEach(r -> out.put(r.path("name").asText(), r.path("url").asText()));
        out.put(cluster.path("region").asText(), base); // the one asked answers where it was asked
        return out;
    }

    /** One sample of every region, asked at once, each within a timeout. */
    private List<TopFrame.Sample> sample(Map<String, String> regions) {
        List<CompletableFuture<TopFrame.Sample>> asks = new ArrayList<>();
        regions.forEach((name, base) -> asks.add(CompletableFuture.supplyAsync(() -> sampleOne(name, base))));
        return asks.stream().map(CompletableFuture::join).toList();
    }

    private TopFrame.Sample sampleOne(String region, String base) {
        long at = System.nanoTime();
        try {
            JsonNode cluster = get(base + "/v1/cluster");
            JsonNode failovers;
            try {
                failovers = get(base + "/v1/failovers");
            } catch (IOException e) {
                failovers = null; // a deployment without a control plane
            }
            String metrics = http.send(request(base + "/metrics"), HttpResponse.BodyHandlers.ofString()).body();
            JsonNode canary;
            try {
                canary = get(base + "/v1/canary");
            } catch (IOException e) {
                canary = null; // no canaries run there
            }
            return new TopFrame.Sample(region, at, cluster, failovers, metrics, canary, null);
        } catch (java.net.ConnectException e) {
            return TopFrame.Sample.down(region, at, "connection refused");
        } catch (java.net.http.HttpTimeoutException e) {
            return TopFrame.Sample.down(region, at, "no answer within 3 s");
        } catch (IOException e) {
            return TopFrame.Sample.down(region, at, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return TopFrame.Sample.down(region, at, "interrupted");
        }
    }

    private JsonNode get(String target) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(tls.withToken(request(target)), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + target + " answered HTTP " + r.statusCode());
        }
        return JSON.readTree(r.body());
    }

    private static HttpRequest request(String target) {
        return HttpRequest.newBuilder(URI.create(target)).timeout(Duration.ofSeconds(3)).GET().build();
    }

    /** {@code 2s}, {@code 500ms}, {@code 1m}: at least 100 ms. */
    static Duration parseDuration(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,6})(ms|s|m)").matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration like 2s, 500ms or 1m");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
        if (d.toMillis() < 100) {
            throw new IllegalArgumentException("'" + text + "' is under 100 ms");
        }
        return d;
    }
}
