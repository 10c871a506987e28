package io.meridian.core.config;

/**
 * How region {@code from} reaches region {@code to} when that is not {@code to}'s own address:
 * through a WAN emulator or a tunnel. Without a link, {@code from} dials {@code to}'s address.
 */
public record LinkConfig(String from, String to, HostPort via) {
}
