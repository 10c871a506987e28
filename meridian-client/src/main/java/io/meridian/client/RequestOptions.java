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
 * }</pre>
 *
 * @param consistency {@code strong}, {@code bounded=<ms>}, {@code session} or {@code eventual}; null: the default
 * @param session     a session token from an earlier answer; null: none
 * @param ifMatch     write only if the key is at this version; null: unconditional
 * @param create      write only if the key does not exist yet
 * @param home        the home region of a home-region key being created; null: this region
 */
public record RequestOptions(String consistency, String session, String ifMatch, boolean create, String home) {
    public static final RequestOptions NONE = new RequestOptions(null, null, null, false, null);

    public RequestOptions consistency(String level) {
        return new RequestOptions(level, session, ifMatch, create, home);
    }

    public RequestOptions session(String token) {
        return new RequestOptions(consistency, token, ifMatch, create, home);
    }

    public RequestOptions ifMatch(String version) {
        return new RequestOptions(consistency, session, version, create, home);
    }

    public RequestOptions createOnly() {
        return new RequestOptions(consistency, session, ifMatch, true, home);
    }

    public RequestOptions home(String region) {
        return new RequestOptions(consistency, session, ifMatch, create, region);
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
        return h;
    }
}
