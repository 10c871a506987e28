package io.meridian.core.config;

import java.util.List;

/**
 * The lab's WAN emulator: one-way delays between regions (before scaling), optional jitter
 * and bandwidth cap, and the address of its control API. Nodes ignore this section.
 *
 * @param captureDir where each link appends every byte it forwards, both ways, to a file of its own
 *                   ({@code FROM-TO-KIND.bin}): for tests that look for bytes on the links
 */
public record WanConfig(HostPort control, double latencyScale, long jitterMillis, long bandwidthBytesPerSecond,
                        List<Delay> delays, java.util.Optional<String> captureDir) {
    public WanConfig {
        delays = List.copyOf(delays);
    }

    public WanConfig(HostPort control, double latencyScale, long jitterMillis, long bandwidthBytesPerSecond, List<Delay> delays) {
        this(control, latencyScale, jitterMillis, bandwidthBytesPerSecond, delays, java.util.Optional.empty());
    }

    /** The one-way delay between two regions, the same in both directions. */
    public record Delay(String a, String b, double oneWayMillis) {
        public boolean joins(String x, String y) {
            return (a.equals(x) && b.equals(y)) || (a.equals(y) && b.equals(x));
        }
    }

    /** The one-way delay from {@code from} to {@code to} after scaling, in milliseconds. */
    public double oneWayMillis(String from, String to) {
        return delays.stream().filter(d -> d.joins(from, to)).findFirst()
                .map(d -> d.oneWayMillis() * latencyScale).orElse(0.0);
    }
}
