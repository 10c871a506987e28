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
        checkOrThrow(key, currentVersion == 0 ? null : Long.toString(currentVersion));
    }

    /**
     * @param currentTag the key's current entity-tag text, null when it does not exist
     * @throws MeridianException {@code PRECONDITION_FAILED} naming the condition and the current tag
     */
    public void checkOrThrow(String key, String currentTag) {
        if (ifMatch != null && !ifMatch.matches(currentTag)) {
            throw failed(key, currentTag, "If-Match " + describe(ifMatch));
        }
        if (ifNoneMatch != null && ifNoneMatch.matches(currentTag)) {
            throw failed(key, currentTag, "If-None-Match " + describe(ifNoneMatch));
        }
    }

    private static String describe(Versions.Condition c) {
        return c.any() ? "*" : c.tags().stream().map(Versions::etag).toList().toString();
    }

    private static MeridianException failed(String key, String currentTag, String condition) {
        String state = currentTag == null ? "the key does not exist" : "its current version is " + Versions.etag(currentTag);
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("key", key);
        ext.put("current_version", currentTag == null ? null : currentTag.chars().allMatch(Character::isDigit)
                ? (Object) Long.parseLong(currentTag) : currentTag);
        return new MeridianException(ProblemType.PRECONDITION_FAILED,
                "'" + key + "': " + condition + " does not hold: " + state, ext);
    }
}
