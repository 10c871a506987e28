package io.meridian.bridge;

import io.meridian.client.MeridianClient;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * How a bridge reaches its region's node.
 *
 * @param url   the node's base URL ({@code https://...} for a deployment with TLS)
 * @param tls   the context to dial HTTPS with (the deployment's CA, and a client certificate if
 *              one is shown); null: plain HTTP, or the JDK's own trust
 * @param token the access token to present ({@code read:} the sink's keyspace, {@code write:} the
 *              source's); null: none
 */
public record NodeConnection(String url, SSLContext tls, String token) {
    /** Plain: no TLS context of its own, no token. */
    public static NodeConnection of(String url) {
        return new NodeConnection(url, null, null);
    }

    MeridianClient connect(Duration timeout) {
        return MeridianClient.connect(url, timeout, tls, token);
    }

    /** The URL, and whether a token is presented: never the token itself (it ends up in logs). */
    @Override
    public String toString() {
        return url + (token == null ? "" : " (with an access token)");
    }
}
