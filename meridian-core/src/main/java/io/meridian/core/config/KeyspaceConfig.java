package io.meridian.core.config;

import io.meridian.core.Policy;
import java.util.List;

/**
 * A keyspace: a named collection of keys under one policy. {@code residency}, when not empty,
 * lists the only regions its data may live in. {@code failoverOrder} (primary and home-region
 * keyspaces): the data regions in the order that takes over a failed region's keys, the next
 * after the failed one first; every data region appears once. {@code rpoBudget} (asynchronously
 * replicated keyspaces): how much of its acknowledged writes a region may hold alone.
 * {@code autoFailoverOrder} ({@code failover-order: auto}): a failed region's keys go to the
 * region nearest to it by measured round trip (recorded when its failover activates), not by a list.
 * {@code redirectOutsideResidency} ({@code outside-residency: redirect}): a region outside the
 * residency answers the keyspace's requests with a redirect to a region inside, rather than refusing them.
 */
public record KeyspaceConfig(String name, Policy policy, List<String> residency, long maxValueBytes, List<String> failoverOrder,
                             java.util.Optional<RpoBudget> rpoBudget, boolean autoFailoverOrder, boolean redirectOutsideResidency) {
    public KeyspaceConfig(String name, Policy policy, List<String> residency, long maxValueBytes, List<String> failoverOrder) {
        this(name, policy, residency, maxValueBytes, failoverOrder, java.util.Optional.empty(), false, false);
    }

    public KeyspaceConfig(String name, Policy policy, List<String> residency, long maxValueBytes, List<String> failoverOrder,
                          java.util.Optional<RpoBudget> rpoBudget, boolean autoFailoverOrder) {
        this(name, policy, residency, maxValueBytes, failoverOrder, rpoBudget, autoFailoverOrder, false);
    }

    public KeyspaceConfig {
        residency = List.copyOf(residency);
        failoverOrder = List.copyOf(failoverOrder);
        if (maxValueBytes <= 0) {
            throw new IllegalArgumentException("maxValueBytes must be positive: " + maxValueBytes);
        }
    }

    /** True when the keyspace's data may live in {@code region}: it has no residency, or its residency names the region. */
    public boolean mayLiveIn(String region) {
        return residency.isEmpty() || residency.contains(region);
    }
}
