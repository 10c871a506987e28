package io.meridian.core.config;

import io.meridian.core.Policy;
import java.util.List;

/**
 * A keyspace: a named collection of keys under one policy. {@code residency}, when not empty,
 * lists the only regions its data may live in. {@code failoverOrder} (primary and home-region
 * keyspaces): the data regions in the order that takes over a failed region's keys, the next
 * after the failed one first; every data region appears once.
 */
public record KeyspaceConfig(String name, Policy policy, List<String> residency, long maxValueBytes, List<String> failoverOrder) {
    public KeyspaceConfig {
        residency = List.copyOf(residency);
        failoverOrder = List.copyOf(failoverOrder);
        if (maxValueBytes <= 0) {
            throw new IllegalArgumentException("maxValueBytes must be positive: " + maxValueBytes);
        }
    }
}
