package io.meridian.core.config;

/**
 * One region: its name, the address its node serves HTTP on, and an optional human location
 * ("N. Virginia") for displays.
 */
public record RegionConfig(String name, HostPort http, String location) {
    public RegionConfig {
        location = location == null ? "" : location;
    }
}
