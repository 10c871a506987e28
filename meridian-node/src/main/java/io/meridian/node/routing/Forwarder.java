package io.meridian.node.routing;

import io.meridian.core.Headers;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.config.MeridianConfig;
import io.meridian.node.http.Exchange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Sends a request this region cannot serve to the region that can (a write to its primary or
 * home, a read that needs a fresher copy), over the address this region dials it by, and relays
 * the answer. A forwarded request is marked, and never forwarded again: two regions that
 * disagree for a moment about a key's home answer 503 rather than bounce a request forever.
 *
 * <p>A forward does not outwait a failover: to a region this region suspects (its failure
 * detector), or once its target becomes suspected while the forward is in flight, it answers 503
 * at once instead of waiting out a link that swallows requests (a partition held such writes until
 * the clients' timeouts, seconds after the keys had a new owner). The client's retry then goes to
 * whichever region owns the key by then. A forward abandoned in flight may still be applied by
 * its target: the answer says the outcome is unknown, as a timeout would.
 */
public final class Forwarder implements AutoCloseable {
    /** How long a forwarded request may take end to end. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String region;
    private final MeridianConfig config;
    private final java.util.function.LongSupplier epoch;
    private final java.util.function.Predicate<String> suspected;
    private volatile io.meridian.node.tracing.Tracing tracing = io.meridian.node.tracing.Tracing.OFF;
    /** How often a forward in flight looks at the failure detector. */
    static final Duration CHECK_EVERY = Duration.ofMillis(50);
    private final HttpClient http;
    private final io.meridian.node.NodeTls tls;

    /** @param epoch this region's failover epoch, sent with every forwarded request; null when regions do not fail over */
    public Forwarder(String region, MeridianConfig config, io.meridian.node.NodeTls tls, java.util.function.LongSupplier epoch) {
        this(region, config, tls, epoch, peer -> false);
    }

    /**
     * @param epoch     this region's failover epoch, sent with every forwarded request; null when regions do not fail over
     * @param suspected whether this region's failure detector suspects a region now
     */
    public Forwarder(String region, MeridianConfig config, io.meridian.node.NodeTls tls, java.util.function.LongSupplier epoch,
                     java.util.function.Predicate<String> suspected) {
        this.region = region;
        this.tls = tls;
        this.http = tls.httpClient(Duration.ofSeconds(3)).build();
        this.config = config;
        this.epoch = epoch;
        this.suspected = suspected;
    }

    /** Forwards become client spans of the requests' spans, their context sent along ({@code traceparent}). */
    public Forwarder traceWith(io.meridian.node.tracing.Tracing tracing) {
        this.tracing = tracing;
        return this;
    }

    /** True when this request was itself forwarded here. */
    static boolean wasForwarded(Exchange ex) {
        return ex.header(Headers.FORWARDED_BY) != null;
    }

    public void forward(Exchange ex, String target, byte[] body, String why) {
        if (wasForwarded(ex)) {
            throw new MeridianException(ProblemType.UNAVAILABLE, "this request was forwarded here by "
                    + ex.header(Headers.FORWARDED_BY) + ", but " + why + "; regions disagree for a moment (a move or a"
                    + " failover in progress): retry", Map.of("target", target));
        }
        if (suspected.test(target)) {
            throw new MeridianException(ProblemType.UNAVAILABLE, why + ", and region " + target + " is suspected down from "
                    + region + " (a failover may be under way): nothing was sent; retry", Map.of("target", target, "written", false));
        }
        String url = tls.url(config.addressFor(region, target)) + ex.rawPath()
                + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery());
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                .method(ex.method(), body == null || body.length == 0 && !"PUT".equals(ex.method())
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.forwardableHeaders().forEach(b::header);
        b.header(Headers.FORWARDED_BY, region);
        b.setHeader(Headers.REGION, region); // the sender, as every region-to-region request names it
        if (epoch != null) {
            b.header(Headers.EPOCH, Long.toString(epoch.getAsLong()));
        }
        io.opentelemetry.api.trace.Span span = tracing.startForward(ex.span(), ex.method(), target, b::setHeader);
        HttpResponse<byte[]> r = null;
        try {
            r = send(b.build(), target, why);
        } finally {
            tracing.endForward(span, r == null ? 0 : r.statusCode());
        }
        ex.sendRelayed(r.statusCode(), r.headers().map(), r.body());
    }

    /**
     * Sends a forwarded request and waits for its answer, checking every {@link #CHECK_EVERY}
     * whether to give up on it: {@code target} became suspected. (Not when the epoch moves: that may
     * be another region's failover, and a target this region reaches answers, if need be with
     * {@code stale-epoch}.)
     */
    HttpResponse<byte[]> send(HttpRequest request, String target, String why) {
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> pending =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        try {
            while (true) {
                try {
                    return pending.get(CHECK_EVERY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException stillWaiting) {
                    if (suspected.test(target)) {
                        pending.cancel(true);
                        throw new MeridianException(ProblemType.UNAVAILABLE, why + "; the request was forwarded to " + target
                                + " but region " + target + " became suspected down from " + region + " before it answered (a failover may be under way): whether it was"
                                + " applied there is unknown; retry", Map.of("target", target, "outcome", "unknown"));
                    }
                }
            }
        } catch (java.util.concurrent.ExecutionException failed) {
            Throwable e = failed.getCause();
            throw new MeridianException(ProblemType.UNAVAILABLE, why + ", and region " + target + " could not be reached: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()),
                    Map.of("target", target));
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new MeridianException(ProblemType.UNAVAILABLE, "interrupted while forwarding to " + target);
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
