package io.meridian.client;

import io.meridian.core.Headers;
import io.meridian.core.Versions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a request asks beyond its key: a read's consistency level, the session token to honour,
 * conditions on a write, the home region of a new key. Immutable; each {@code with} returns a
 * copy. {@link #NONE} asks nothing (reads then use the node's default, {@code session}).
 *
 * <pre>{@code
 * RequestOptions.NONE.consistency("bounded=100")          // at most 100 ms stale, else forwarded
 * RequestOptions.NONE.session(written.session())          // read-your-writes across regions
 * RequestOptions.NONE.ifMatch(value.version())            // compare-and-set
 * RequestOptions.NONE.idempotencyKey("order-42")          // a retry of this write, anywhere, is applied once
 * }</pre>
 *
 * @param consistency {@code strong}, {@code bounded=<ms>}, {@code session} or {@code eventual}; null: the default
 * @param session     a session token from an earlier answer; null: none
 * @param ifMatch     write only if the key is at this version; null: unconditional
 * @param create      write only if the key does not exist yet
 * @param home        the home region of a home-region key being created; null: this region
 * @param idempotencyKey the write's {@code Idempotency-Key}; null: none (a client built with
 *                    {@link MeridianClient#builder} gives each write a fresh one)
 */
public record RequestOptions(String consistency, String session, String ifMatch, boolean create, String home,
                             String idempotencyKey) {
    public static final RequestOptions NONE = new RequestOptions(null, null, null, false, null, null);

    /**
     * The key of a write: sent again with the same request within the deployment's
     * {@code idempotency-ttl-ms} (a day by default), in any region it has reached, it is answered
     * as the first was and applies nothing.
     */
    public RequestOptions idempotencyKey(String key) {
        return new RequestOptions(consistency, session, ifMatch, create, home, key);
    }

    public RequestOptions consistency(String level) {
        return new RequestOptions(level, session, ifMatch, create, home, idempotencyKey);
    }

    public RequestOptions session(String token) {
        return new RequestOptions(consistency, token, ifMatch, create, home, idempotencyKey);
    }

    public RequestOptions ifMatch(String version) {
        return new RequestOptions(consistency, session, version, create, home, idempotencyKey);
    }

    public RequestOptions createOnly() {
        return new RequestOptions(consistency, session, ifMatch, true, home, idempotencyKey);
    }

    public RequestOptions home(String region) {
        return new RequestOptions(consistency, session, ifMatch, create, region, idempotencyKey);
    }

    /** The HTTP headers these options become. */
    public Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        if (consistency != null) {
            h.put("Meridian-Consistency", consistency);
        }
        if (session != null && !session.isEmpty()) {
            h.put(Headers.SESSION, session);
        }
        if (ifMatch != null) {
            h.put("If-Match", ifMatch.equals("*") ? "*" : Versions.etag(ifMatch));
        }
        if (create) {
            h.put("If-None-Match", "*");
        }
        if (home != null) {
            h.put(Headers.HOME, home);
        }
        if (idempotencyKey != null) {
            h.put(io.meridian.core.Idempotency.HEADER, idempotencyKey);
        }
        return h;
    }
}
