package io.meridian.core;

import java.util.Map;

/**
 * The consistency a read asks for, in {@code Meridian-Consistency}: {@code eventual} (this
 * region's copy, as is), {@code session} (every write the session token covers, or newer; the
 * default), {@code bounded=<ms>} (at most that stale) or {@code strong} (linearizable; strong
 * keyspaces only).
 */
public sealed interface Consistency {
    String HEADER = "Meridian-Consistency";
    /** A day: a larger bound is a typo, not a requirement. */
    long MAX_BOUND_MILLIS = 86_400_000;

    record Eventual() implements Consistency {
    }

    record Session() implements Consistency {
    }

    record Bounded(long maxStalenessMillis) implements Consistency {
    }

    record Strong() implements Consistency {
    }

    /** @param value the header's value, or null when absent ({@code session}) */
    static Consistency parse(String value) {
        if (value == null) {
            return new Session();
        }
        String v = value.strip();
        switch (v) {
            case "eventual" -> {
                return new Eventual();
            }
            case "session" -> {
                return new Session();
            }
            case "strong" -> {
                return new Strong();
            }
            default -> {
                if (v.startsWith("bounded=")) {
                    String ms = v.substring("bounded=".length());
                    if (!ms.isEmpty() && ms.length() <= 9 && ms.chars().allMatch(Character::isDigit)
                            && Long.parseLong(ms) <= MAX_BOUND_MILLIS) {
                        return new Bounded(Long.parseLong(ms));
                    }
                }
                throw new MeridianException(ProblemType.MALFORMED_HEADER, HEADER + ": '" + value
                        + "' is not a consistency level; expected eventual, session, strong or bounded=<milliseconds up to "
                        + MAX_BOUND_MILLIS + ">", Map.of("header", HEADER, "value", value));
            }
        }
    }
}
