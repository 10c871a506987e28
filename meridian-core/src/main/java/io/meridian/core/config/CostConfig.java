package io.meridian.core.config;

import java.util.List;
import java.util.Optional;

/**
 * What a GB crossing between regions costs ({@code cost:} in the configuration), for the
 * projections of {@code GET /v1/cost}. A price names the region the bytes leave (clouds bill the
 * sender) and optionally the one they reach; the most specific price that matches applies.
 *
 * @param currency     what the prices are in, as shown (e.g. USD)
 * @param defaultPerGb the price of a GB no listed price matches
 * @param prices       prices per source region or per directed pair
 */
public record CostConfig(String currency, double defaultPerGb, List<Price> prices) {
    /** A GB here is 10^9 bytes. */
    public static final double BYTES_PER_GB = 1e9;

    /**
     * Without a {@code cost:} section: USD 0.02 per GB, what AWS charges for data leaving its US
     * and European regions for another region (docs/observability.md cites the page).
     */
    public static final CostConfig DEFAULT = new CostConfig("USD", 0.02, List.of());

    public CostConfig {
        prices = List.copyOf(prices);
    }

    /** @param to empty: every region {@code from} sends to */
    public record Price(String from, Optional<String> to, double perGb) {
    }

    /** The price of a GB sent from {@code from} to {@code to}. */
    public double perGb(String from, String to) {
        Double bySource = null;
        for (Price p : prices) {
            if (p.from().equals(from)) {
                if (p.to().isPresent() && p.to().get().equals(to)) {
                    return p.perGb();
                }
                if (p.to().isEmpty()) {
                    bySource = p.perGb();
                }
            }
        }
        return bySource != null ? bySource : defaultPerGb;
    }
}
