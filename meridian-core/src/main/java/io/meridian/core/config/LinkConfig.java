package io.meridian.core.config;

import java.util.Optional;

/**
 * How region {@code from} reaches region {@code to} when that is not {@code to}'s own address:
 * through a WAN emulator or a tunnel. {@code via} replaces {@code to}'s HTTP address,
 * {@code replicationVia} its replication address, {@code consensusVia} its consensus address. Without a link, {@code from} dials
 * {@code to}'s own addresses.
 */
public record LinkConfig(String from, String to, HostPort via, Optional<HostPort> replicationVia,
                         Optional<HostPort> consensusVia) {
}
