package io.meridian.core.auth;

import java.util.List;

/**
 * An access token as every region knows it: its public id and name, what it may do, and the
 * SHA-256 of its secret (the secret itself is shown once, to whoever created it, and stored
 * nowhere). Revoked tokens are kept, with who revoked them and when, so that a listing tells
 * what happened to each.
 *
 * @param expiresAtMillis 0: never
 * @param revokedAtMillis 0: not revoked
 */
public record AccessToken(String id, String name, List<String> scopes, String secretSha256, long createdAtMillis,
                          String createdBy, long expiresAtMillis, long revokedAtMillis, String revokedBy) {
    public AccessToken {
        scopes = List.copyOf(scopes);
    }

    public boolean revoked() {
        return revokedAtMillis != 0;
    }

    public boolean expired(long nowMillis) {
        return expiresAtMillis != 0 && nowMillis >= expiresAtMillis;
    }

    /** Neither revoked nor expired at {@code nowMillis}. */
    public boolean live(long nowMillis) {
        return !revoked() && !expired(nowMillis);
    }

    public AccessToken withRevocation(String by, long atMillis) {
        return new AccessToken(id, name, scopes, secretSha256, createdAtMillis, createdBy, expiresAtMillis, atMillis, by);
    }
}
