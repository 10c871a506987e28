package io.meridian.core.api;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/cost}: the bytes that crossed between regions, measured on the wire by the
 * regions themselves, and what they cost at the configured prices if the rate of the last hour
 * went on for a month (30 days).
 *
 * @param currency    the prices' currency
 * @param atMs        when it was computed
 * @param pairs       every directed pair of regions (bytes leave {@code from})
 * @param keyspaces   the same bytes by what they carried: a keyspace, or a name in parentheses for the
 *                    system's own traffic ({@code (system)}: probes and status; {@code (control)}: the
 *                    control plane; {@code (canary)}: canary probes; {@code (unattributed)}: framing and
 *                    heartbeats of a link that carried nothing else in the window)
 * @param monthly     all pairs' monthly cost
 * @param unavailable regions that did not answer, with why: pairs with them count only what the other end saw
 */
public record CostView(String currency, long atMs, List<Pair> pairs, List<Keyspace> keyspaces, double monthly,
                       Map<String, String> unavailable) {

    /**
     * @param bytes           bytes sent from {@code from} to {@code to} since both ends last started
     * @param bytesByTransport those bytes per transport
     * @param windowS         the rate's window: up to the last hour, less when a region started since
     * @param bytesPerS       the rate over that window, all transports
     * @param byTransport     the rate per transport ({@code http}, {@code replication}, {@code consensus})
     * @param perGb           the price of a GB on this pair
     * @param monthly         the rate's cost over 30 days
     * @param complete        false when one end did not answer (only the other end's connections are counted)
     */
    public record Pair(String from, String to, long bytes, Map<String, Long> bytesByTransport, double windowS, double bytesPerS,
                       Map<String, Double> byTransport, double perGb, double monthly, boolean complete) {
    }

    /**
     * @param bytesPerS the rate of bytes it put on the WAN, all pairs
     * @param monthly   their cost over 30 days
     * @param byPair    the monthly cost per pair, as {@code from>to}
     */
    public record Keyspace(String keyspace, double bytesPerS, double monthly, Map<String, Double> byPair) {
    }
}
