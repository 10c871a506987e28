package io.meridian.core.api;

import io.meridian.core.auth.AccessToken;
import java.time.Instant;
import java.util.List;

/**
 * An access token as {@code GET /v1/tokens} lists it (times in ISO-8601, UTC): never its secret or the secret's hash.
 * {@code token}, the secret text, is set only in the answer to the {@code POST} that made it.
 *
 * @param status {@code live}, {@code expired} or {@code revoked}
 */
public record TokenView(String id, String name, List<String> scopes, String status, String createdAt, String createdBy,
                        String expiresAt, String revokedAt, String revokedBy, String token) {

    public static TokenView of(AccessToken t, long nowMillis, String secretText) {
        String status = t.revoked() ? "revoked" : t.expired(nowMillis) ? "expired" : "live";
        return new TokenView(t.id(), t.name(), t.scopes(), status, instant(t.createdAtMillis()), t.createdBy(),
                t.expiresAtMillis() == 0 ? null : instant(t.expiresAtMillis()), t.revoked() ? instant(t.revokedAtMillis()) : null,
                t.revokedBy(), secretText);
    }

    /** Times as ISO-8601 text (UTC), as people and {@code jq} read them. */
    private static String instant(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
