package io.meridian.lab;

import java.util.List;
import java.util.Locale;

/**
 * The lab's default deployment: three regions on 127.0.0.1, every directed pair of regions
 * joined through the WAN emulator, delays from public inter-region round-trip tables
 * ({@code shared/notes/wan.md}: half the measured RTT, rounded), and the default keyspaces.
 */
public final class LabTopology {
    public record Region(String name, String location) {
    }

    public record Delay(String a, String b, double oneWayMillis) {
    }

    public static final List<Region> REGIONS = List.of(
            new Region("us-east", "N. Virginia"),
            new Region("eu-west", "Dublin"),
            new Region("ap-southeast", "Singapore"));

    /** One-way, before scaling. */
    public static final List<Delay> DELAYS = List.of(
            new Delay("us-east", "eu-west", 35),
            new Delay("us-east", "ap-southeast", 108),
            new Delay("eu-west", "ap-southeast", 88));

    /** Ports the lab uses: regions first, then the WAN control API, then one per directed link. */
    public record Ports(List<Integer> regions, int control, List<Integer> links) {
        public static int count() {
            int n = REGIONS.size();
            return n + 1 + n * (n - 1);
        }

        public static Ports of(List<Integer> all) {
            int n = REGIONS.size();
            return new Ports(all.subList(0, n), all.get(n), all.subList(n + 1, count()));
        }
    }

    /** Shaping options of {@code lab up}. */
    public record Wan(double latencyScale, long jitterMillis, long bandwidthKbps) {
        public static final Wan DEFAULT = new Wan(1.0, 0, 0);
    }

    private LabTopology() {
    }

    public static double oneWayMillis(String a, String b) {
        return DELAYS.stream().filter(d -> (d.a().equals(a) && d.b().equals(b)) || (d.a().equals(b) && d.b().equals(a)))
                .findFirst().orElseThrow().oneWayMillis();
    }

    /** The configuration file the lab's nodes and WAN emulator run with. */
    public static String configYaml(Ports ports, Wan wan) {
        StringBuilder y = new StringBuilder();
        y.append("# Written by `meridian lab up`; regenerated on every start.\n");
        y.append("regions:\n");
        for (int i = 0; i < REGIONS.size(); i++) {
            Region r = REGIONS.get(i);
            y.append("  - name: ").append(r.name()).append('\n')
                    .append("    location: ").append(r.location()).append('\n')
                    .append("    http: 127.0.0.1:").append(ports.regions().get(i)).append('\n');
        }
        y.append("\n# Every region reaches every other through the WAN emulator.\nlinks:\n");
        int link = 0;
        for (Region from : REGIONS) {
            for (Region to : REGIONS) {
                if (!from.equals(to)) {
                    y.append("  - {from: ").append(from.name()).append(", to: ").append(to.name())
                            .append(", via: 127.0.0.1:").append(ports.links().get(link++)).append("}\n");
                }
            }
        }
        y.append("""

                keyspaces:
                  - name: cache
                    policy: local

                probe:
                  interval-ms: 1000
                  timeout-ms: 2000

                wan:
                """);
        y.append("  control: 127.0.0.1:").append(ports.control()).append('\n');
        y.append("  latency-scale: ").append(String.format(Locale.ROOT, "%s", wan.latencyScale())).append('\n');
        y.append("  jitter-ms: ").append(wan.jitterMillis()).append('\n');
        y.append("  bandwidth-kbps: ").append(wan.bandwidthKbps()).append('\n');
        y.append("  delays:\n");
        for (Delay d : DELAYS) {
            y.append("    - {between: [").append(d.a()).append(", ").append(d.b()).append("], one-way-ms: ")
                    .append(String.format(Locale.ROOT, "%s", d.oneWayMillis())).append("}\n");
        }
        return y.toString();
    }
}
