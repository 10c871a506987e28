package io.meridian.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An expected error: something the client (or the operator) did that Meridian refuses, with a
 * stable {@link ProblemType}, a detail naming the rejected value and what was expected, and
 * extra members for machines (the key, the limit...). Bugs are not reported this way.
 */
public class MeridianException extends RuntimeException {
    private final ProblemType type;
    private final Map<String, Object> extensions;

    public MeridianException(ProblemType type, String detail) {
        this(type, detail, Map.of());
    }

    public MeridianException(ProblemType type, String detail, Map<String, Object> extensions) {
        super(detail);
        this.type = Objects.requireNonNull(type, "type");
        this.extensions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extensions));
    }

    public ProblemType type() {
        return type;
    }

    public String detail() {
        return getMessage();
    }

    /** Extra problem members, in a stable order. */
    public Map<String, Object> extensions() {
        return new LinkedHashMap<>(extensions);
    }
}
