package io.meridian.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every stored value has a version: a positive number, unique within its region's store and
 * increasing with every write, so a key deleted and created again never reuses one (etcd's
 * mod_revision, not a per-key counter). On the wire the version is a strong entity tag,
 * {@code "42"}, in {@code ETag}, {@code If-Match} and {@code If-None-Match}.
 */
public final class Versions {
    private Versions() {
    }

    public static String etag(long version) {
        return etag(Long.toString(version));
    }

    /** A strong entity tag around opaque text (no quotes inside). */
    public static String etag(String tag) {
        if (tag.indexOf('"') >= 0) {
            throw new IllegalArgumentException("an entity tag cannot hold a quote: " + tag);
        }
        return "\"" + tag + "\"";
    }

    /**
     * A parsed {@code If-Match} or {@code If-None-Match} header: {@code *} or a list of strong
     * entity tags (their text, without quotes). A weak tag never matches.
     */
    public record Condition(boolean any, List<String> tags) {
        public Condition {
            tags = List.copyOf(tags);
        }

        /** @param currentTag the key's current tag text, or null when it does not exist */
        public boolean matches(String currentTag) {
            if (currentTag == null) {
                return false;
            }
            return any || tags.contains(currentTag);
        }

        /** @param currentVersionOrZero a local keyspace's version, 0 when the key does not exist */
        public boolean matches(long currentVersionOrZero) {
            return matches(currentVersionOrZero == 0 ? null : Long.toString(currentVersionOrZero));
        }
    }

    /**
     * Parses an entity-tag list (RFC 9110 section 13.1.1).
     *
     * @throws MeridianException {@code MALFORMED_HEADER} naming the header and value
     */
    public static Condition parseCondition(String header, String value) {
        String trimmed = value.strip();
        if (trimmed.equals("*")) {
            return new Condition(true, List.of());
        }
        List<String> tags = new ArrayList<>();
        for (String part : trimmed.split(",", -1)) {
            String tag = part.strip();
            boolean weak = tag.startsWith("W/");
            String opaque = weak ? tag.substring(2) : tag;
            if (opaque.length() < 2 || !opaque.startsWith("\"") || !opaque.endsWith("\"")
                    || opaque.substring(1, opaque.length() - 1).contains("\"")) {
                throw malformed(header, value);
            }
            if (!weak) {
                tags.add(opaque.substring(1, opaque.length() - 1));
            }
        }
        return new Condition(false, tags);
    }

    private static MeridianException malformed(String header, String value) {
        return new MeridianException(ProblemType.MALFORMED_HEADER,
                header + ": '" + value + "' is not an entity-tag list; expected * or quoted tags such as \"42\"",
                Map.of("header", header, "value", value));
    }
}
