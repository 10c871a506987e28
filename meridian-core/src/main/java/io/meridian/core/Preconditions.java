package io.meridian.core;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Conditional writes (RFC 9110 section 13): {@code If-Match} holds when the key exists at one
 * of the listed versions (or at all, for {@code *}); {@code If-None-Match} holds when it does
 * not. The store evaluates them under the key's lock, against the version it is about to replace.
 */
public record Preconditions(Versions.Condition ifMatch, Versions.Condition ifNoneMatch) {
    public static final Preconditions NONE = new Preconditions(null, null);

    public boolean isNone() {
        return ifMatch == null && ifNoneMatch == null;
    }

    /**
     * @param currentVersion the key's current version, 0 when it does not exist
     * @throws MeridianException {@code PRECONDITION_FAILED} naming the condition and the current version
     */
    public void checkOrThrow(String key, long currentVersion) {
        if (ifMatch != null && !ifMatch.matches(currentVersion)) {
            throw failed(key, currentVersion, "If-Match " + describe(ifMatch));
        }
        if (ifNoneMatch != null && ifNoneMatch.matches(currentVersion)) {
            throw failed(key, currentVersion, "If-None-Match " + describe(ifNoneMatch));
        }
    }

    private static String describe(Versions.Condition c) {
        return c.any() ? "*" : c.versions().stream().map(Versions::etag).toList().toString();
    }

    private static MeridianException failed(String key, long currentVersion, String condition) {
        String state = currentVersion == 0 ? "the key does not exist" : "its current version is " + Versions.etag(currentVersion);
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("key", key);
        ext.put("current_version", currentVersion == 0 ? null : currentVersion);
        return new MeridianException(ProblemType.PRECONDITION_FAILED,
                "'" + key + "': " + condition + " does not hold: " + state, ext);
    }
}
