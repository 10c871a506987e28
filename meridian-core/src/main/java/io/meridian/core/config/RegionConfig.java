package io.meridian.core.config;

import java.util.Optional;

/**
 * One region: its name, the address its node serves HTTP on, the address it serves
 * replication streams on (needed once keyspaces replicate between regions), the address of its
 * consensus endpoint (needed for strong keyspaces and the control plane), an optional human location
 * ("N. Virginia") for displays, and whether it is a <em>witness</em>: a region that votes in the
 * control plane and detects failures but holds no keyspace data.
 */
public record RegionConfig(String name, HostPort http, Optional<HostPort> replication, Optional<HostPort> consensus,
                           String location, boolean witness) {
    public RegionConfig {
        location = location == null ? "" : location;
    }

    public RegionConfig(String name, HostPort http, Optional<HostPort> replication, Optional<HostPort> consensus, String location) {
        this(name, http, replication, consensus, location, false);
    }
}
