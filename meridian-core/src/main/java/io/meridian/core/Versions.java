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
        return "\"" + version + "\"";
    }

    /**
     * A parsed {@code If-Match} or {@code If-None-Match} header: {@code *} or a list of entity tags.
     * Only versions this store could have issued can match; a weak or foreign tag never does.
     */
    public record Condition(boolean any, List<Long> versions) {
        public Condition {
            versions = List.copyOf(versions);
        }

        public boolean matches(long currentVersionOrZero) {
            if (currentVersionOrZero == 0) {
                return false;
            }
            return any || versions.contains(currentVersionOrZero);
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
        List<Long> versions = new ArrayList<>();
        for (String part : trimmed.split(",", -1)) {
            String tag = part.strip();
            boolean weak = tag.startsWith("W/");
            String opaque = weak ? tag.substring(2) : tag;
            if (opaque.length() < 2 || !opaque.startsWith("\"") || !opaque.endsWith("\"")
                    || opaque.substring(1, opaque.length() - 1).contains("\"")) {
                throw malformed(header, value);
            }
            Long version = weak ? null : parseVersion(opaque.substring(1, opaque.length() - 1));
            if (version != null) {
                versions.add(version);
            }
        }
        return new Condition(false, versions);
    }

    private static Long parseVersion(String text) {
        if (text.isEmpty() || text.length() > 19 || !text.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return Long.parseLong(text);
    }

    private static MeridianException malformed(String header, String value) {
        return new MeridianException(ProblemType.MALFORMED_HEADER,
                header + ": '" + value + "' is not an entity-tag list; expected * or quoted tags such as \"42\"",
                Map.of("header", header, "value", value));
    }
}
