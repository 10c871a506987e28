package io.meridian.core.config;

import io.meridian.core.Policy;
import java.util.List;

/**
 * A keyspace: a named collection of keys under one policy. {@code residency}, when not empty,
 * lists the only regions its data may live in.
 */
public record KeyspaceConfig(String name, Policy policy, List<String> residency, long maxValueBytes) {
    public KeyspaceConfig {
        residency = List.copyOf(residency);
        if (maxValueBytes <= 0) {
            throw new IllegalArgumentException("maxValueBytes must be positive: " + maxValueBytes);
        }
    }
}
