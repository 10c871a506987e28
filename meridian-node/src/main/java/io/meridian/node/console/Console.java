package io.meridian.node.console;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.api.ApiJson;
import io.meridian.core.api.ClusterView;
import io.meridian.core.config.MeridianConfig;
import io.meridian.node.RegionNode;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.node.http.Exchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The web console: its files, served from the jar at {@code /console/}, and the overview they
 * show. The overview is every region's {@code /v1/status} as this node gathers it (a second at
 * most per region), this node's failover view and the configured keyspaces; the page takes it
 * once a second as Server-Sent Events and turns consecutive overviews into rates.
 */
public final class Console {
    public static final String PATH = "/console";
    /** Live overviews one node streams at once: each holds a server thread and asks every region each second. */
    static final int MAX_STREAMS = 16;
    static final Duration EVERY = Duration.ofSeconds(1);
    private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";

    /** The console's files: the path under {@code /console/} to the classpath resource and its type. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "", new Asset("io/meridian/node/console/index.html", "text/html; charset=utf-8"),
            "console.js", new Asset("io/meridian/node/console/console.js", "text/javascript; charset=utf-8"),
            "console.css", new Asset("io/meridian/node/console/console.css", "text/css; charset=utf-8"),
            "vendor/uPlot.js", new Asset(UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"),
            "vendor/uPlot.css", new Asset(UPLOT + "uPlot.min.css", "text/css; charset=utf-8"));

    private record Asset(String resource, String type) {
    }

    private final RegionNode node;
    private final MeridianConfig config;
    private final Map<String, byte[]> loaded = new java.util.concurrent.ConcurrentHashMap<>();
    private final Semaphore streams = new Semaphore(MAX_STREAMS);
    /** The last gathering of every region's status and when it started: consoles open at once share it. */
    private java.util.concurrent.CompletableFuture<Map<String, Object>> gathered;
    private long gatheredAtNanos;

    public Console(RegionNode node, MeridianConfig config) {
        this.node = node;
        this.config = config;
    }

    /** True for the console's own paths. */
    public static boolean serves(String path) {
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    /** Answers a GET or HEAD of one of the console's files; {@code /console} itself moves to {@code /console/}. */
    public void serveFile(Exchange ex) {
        String path = ex.rawPath();
        if (path.equals(PATH)) {
            ex.header("Location", PATH + "/");
            ex.sendEmpty(308);
            return;
        }
        String name = path.substring(PATH.length() + 1);
        Asset asset = ASSETS.get(name);
        if (asset == null) {
            throw new MeridianException(ProblemType.NOT_FOUND, "the console has no file at " + path + "; open " + PATH + "/");
        }
        byte[] body = loaded.computeIfAbsent(name, n -> read(asset.resource()));
        ex.header("Cache-Control", "no-cache");
        ex.header("X-Content-Type-Options", "nosniff");
        ex.send(200, asset.type(), body);
    }

    private static byte[] read(String resource) {
        try (InputStream in = Console.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the console's file " + resource + " is not in the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code GET /v1/overview}: once, or (asked for {@code text/event-stream}) once a second until the client leaves. */
    public void overview(Exchange ex) throws Exception {
        if (!ex.wantsEventStream()) {
            ex.answerWhen(statuses(), statuses -> ex.sendJson(200, overview(statuses)));
            return;
        }
        if (!streams.tryAcquire()) {
            throw new MeridianException(ProblemType.TOO_MANY_SUBSCRIPTIONS, node.region() + " streams " + MAX_STREAMS
                    + " live overviews already; close a console or open one in another region");
        }
        ex.startStream(200, "text/event-stream");
        Throwable ended = null;
        try {
            ex.writeChunk((": overviews from " + node.region() + " every " + EVERY.toMillis() + " ms\nretry: 2000\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            while (!node.closed()) {
                long started = System.nanoTime();
                Map<String, Object> statuses = statuses().get(5, TimeUnit.SECONDS);
                ex.writeChunk(("event: overview\ndata: " + new String(ApiJson.bytes(overview(statuses)), StandardCharsets.UTF_8)
                        + "\n\n").getBytes(StandardCharsets.UTF_8));
                long left = EVERY.toNanos() - (System.nanoTime() - started);
                if (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(left);
                }
            }
        } catch (IOException e) {
            ended = e; // the client went away
        } catch (InterruptedException e) {
            ended = e; // the node is stopping
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            ended = e;
        } finally {
            streams.release();
            ex.endStream(ended);
        }
    }

    /**
     * Every region's status: the gathering started less than a second ago (most of {@link #EVERY})
     * if there is one, else a new one. However many consoles are open, a node asks each peer for
     * its status about once a second.
     */
    private synchronized java.util.concurrent.CompletableFuture<Map<String, Object>> statuses() {
        long now = System.nanoTime();
        if (gathered == null || now - gatheredAtNanos >= EVERY.toNanos() * 9 / 10) {
            gathered = node.statusEverywhere();
            gatheredAtNanos = now;
        }
        return gathered;
    }

    private Map<String, Object> overview(Map<String, Object> statuses) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("region", node.region());
        out.put("at_ms", System.currentTimeMillis());
        out.put("regions", config.regions().stream().map(r -> Map.of("name", r.name(), "location", r.location(),
                "witness", r.witness())).toList());
        out.put("keyspaces", config.keyspaces().stream().map(ClusterView.Keyspace::of).toList());
        FailoverAgent failover = node.failover();
        out.put("failovers", failover == null ? null : failover.view());
        out.put("statuses", List.copyOf(statuses.values()));
        return out;
    }
}
