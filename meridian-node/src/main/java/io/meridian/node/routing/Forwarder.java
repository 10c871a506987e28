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
 */
public final class Forwarder implements AutoCloseable {
    /** How long a forwarded request may take end to end. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String region;
    private final MeridianConfig config;
    private final java.util.function.LongSupplier epoch;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();

    /** @param epoch this region's failover epoch, sent with every forwarded request; null when regions do not fail over */
    public Forwarder(String region, MeridianConfig config, java.util.function.LongSupplier epoch) {
        this.region = region;
        this.config = config;
        this.epoch = epoch;
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
        String url = config.addressFor(region, target).httpUrl() + ex.rawPath()
                + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery());
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                .method(ex.method(), body == null || body.length == 0 && !"PUT".equals(ex.method())
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.forwardableHeaders().forEach(b::header);
        b.header(Headers.FORWARDED_BY, region);
        if (epoch != null) {
            b.header(Headers.EPOCH, Long.toString(epoch.getAsLong()));
        }
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            ex.sendRelayed(r.statusCode(), r.headers().map(), r.body());
        } catch (IOException e) {
            throw new MeridianException(ProblemType.UNAVAILABLE, why + ", and region " + target + " could not be reached: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()),
                    Map.of("target", target));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeridianException(ProblemType.UNAVAILABLE, "interrupted while forwarding to " + target);
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
