package io.meridian.core.config;

import java.util.Optional;

/**
 * One region: its name, the address its node serves HTTP on, the address it serves
 * replication streams on (needed once keyspaces replicate between regions), the address of its
 * consensus endpoint (needed for strong keyspaces), and an optional human location
 * ("N. Virginia") for displays.
 */
public record RegionConfig(String name, HostPort http, Optional<HostPort> replication, Optional<HostPort> consensus,
                           String location) {
    public RegionConfig {
        location = location == null ? "" : location;
    }
}
