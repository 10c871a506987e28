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

    /**
     * The witness topology: two data regions and a witness in a third failure domain (Oregon),
     * which votes in the control plane and detects failures but holds no data, so that losing
     * either data region leaves a majority. Virginia-Oregon from notes/wan.md; Dublin-Oregon
     * ~125 ms round trip.
     */
    public static final String WITNESS = "us-west";
    public static final List<Region> WITNESS_REGIONS = List.of(
            new Region("us-east", "N. Virginia"),
            new Region("eu-west", "Dublin"),
            new Region(WITNESS, "Oregon (witness)"));
    public static final List<Delay> WITNESS_DELAYS = List.of(
            new Delay("us-east", "eu-west", 35),
            new Delay("us-east", WITNESS, 38),
            new Delay("eu-west", WITNESS, 62));

    public static List<Region> regions(boolean witness) {
        return witness ? WITNESS_REGIONS : REGIONS;
    }

    /**
     * Ports the lab uses: each region's HTTP, replication and consensus ports, the WAN control
     * API, and for every directed link one port for each of the three.
     */
    public record Ports(List<Integer> regions, List<Integer> replication, List<Integer> consensus, int control,
                        List<Integer> links, List<Integer> replicationLinks, List<Integer> consensusLinks) {
        public static int count() {
            int n = REGIONS.size();
            return 3 * n + 1 + 3 * n * (n - 1);
        }

        /** In the order {@link #count()} counts them. */
        public static Ports of(List<Integer> all) {
            int n = REGIONS.size();
            int l = n * (n - 1);
            int c = 3 * n;
            return new Ports(all.subList(0, n), all.subList(n, 2 * n), all.subList(2 * n, 3 * n), all.get(c),
                    all.subList(c + 1, c + 1 + l), all.subList(c + 1 + l, c + 1 + 2 * l), all.subList(c + 1 + 2 * l, count()));
        }

        /** Consecutive layout from a base port: HTTP +0.., replication +50.., consensus +60.., control +99, links +100.., +110.., +120.. */
        public static List<Integer> fromBase(int base) {
            int n = REGIONS.size();
            List<Integer> ports = new java.util.ArrayList<>();
            for (int offset : List.of(0, 50, 60)) {
                for (int i = 0; i < n; i++) {
                    ports.add(base + offset + i);
                }
            }
            ports.add(base + 99);
            for (int offset : List.of(100, 110, 120)) {
                for (int i = 0; i < n * (n - 1); i++) {
                    ports.add(base + offset + i);
                }
            }
            return ports;
        }
    }

    /**
     * Options of {@code lab up}: WAN shaping, {@code retainedLogEntries} (0 keeps the nodes'
     * default), the failover policy ({@code auto}, {@code manual}, {@code hybrid}), automatic
     * failback, the witness topology, an RPO budget for the asynchronously replicated key-value
     * keyspaces ({@code catalog}, {@code profiles}, {@code sessions}; null for none) with what to do
     * when it is exceeded ({@code wait} or {@code refuse}), and the replication streams'
     * compression ({@code deflate} or {@code none}; null keeps the nodes' default), and the canary
     * interval in milliseconds (0 for none; null keeps the nodes' default), and where the WAN
     * emulator captures the links' bytes (null: nowhere).
     */
    public record Setup(double latencyScale, long jitterMillis, long bandwidthKbps, long retainedLogEntries,
                        String failoverPolicy, boolean autoFailback, boolean witness, String rpoBudget, String onBudgetExceeded,
                        String compression, Long canaryMillis, String captureDir, boolean tls, boolean netns) {
        public Setup(double latencyScale, long jitterMillis, long bandwidthKbps, long retainedLogEntries,
                     String failoverPolicy, boolean autoFailback, boolean witness) {
            this(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, witness, null, null, null,
                    null, null, false, false);
        }

        public static final Setup DEFAULT = new Setup(1.0, 0, 0, 0);

        public Setup(double latencyScale, long jitterMillis, long bandwidthKbps) {
            this(latencyScale, jitterMillis, bandwidthKbps, 0);
        }

        public Setup(double latencyScale, long jitterMillis, long bandwidthKbps, long retainedLogEntries) {
            this(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, "hybrid", false, false);
        }

        public Setup withFailover(String policy, boolean autoFailback) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, policy, autoFailback, witness, rpoBudget,
                    onBudgetExceeded, compression, canaryMillis, captureDir, tls, netns);
        }

        /** The lab's key-value keyspaces get {@code rpo-budget: budget} ({@code 250ms}, {@code 0}...) and {@code on-budget-exceeded: mode}. */
        public Setup withRpoBudget(String budget, String mode) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, witness, budget, mode,
                    compression, canaryMillis, captureDir, tls, netns);
        }

        public Setup withWitness(boolean w) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, w, rpoBudget,
                    onBudgetExceeded, compression, canaryMillis, captureDir, tls, netns);
        }

        /** Every node's {@code replication.compression}: {@code deflate}, {@code none}, or null for the default. */
        public Setup withCompression(String c) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, witness, rpoBudget,
                    onBudgetExceeded, c, canaryMillis, captureDir, tls, netns);
        }

        /** Every node's {@code canary.interval-ms} (0: no canaries), or null for the default. */
        public Setup withCanary(Long millis) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, witness, rpoBudget,
                    onBudgetExceeded, compression, millis, captureDir, tls, netns);
        }

        /** The WAN emulator appends every byte each link forwards to a file per link in {@code dir} (tests look for bytes there). */
        public Setup withCapture(java.nio.file.Path dir) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, witness, rpoBudget,
                    onBudgetExceeded, compression, canaryMillis, dir.toAbsolutePath().toString(), tls, netns);
        }

        /**
         * TLS everywhere: the lab makes a CA and the regions' certificates in its {@code certs/}
         * directory (kept across restarts) and the nodes serve HTTPS, mutual TLS between them.
         */
        public Setup withTls(boolean on) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, witness, rpoBudget,
                    onBudgetExceeded, compression, canaryMillis, captureDir, on, netns);
        }

        /**
         * Each region in its own Linux network namespace with its own address, reaching the others
         * only through the WAN emulator ({@link LabNetwork}; needs root).
         */
        public Setup withNetns(boolean on) {
            return new Setup(latencyScale, jitterMillis, bandwidthKbps, retainedLogEntries, failoverPolicy, autoFailback, witness, rpoBudget,
                    onBudgetExceeded, compression, canaryMillis, captureDir, tls, on);
        }

        public List<Region> regions() {
            return LabTopology.regions(witness);
        }
    }

    /** Where a lab with TLS keeps its CA and certificates, beside its configuration. */
    public static final String CERTS_DIR = "certs";

    private LabTopology() {
    }

    public static double oneWayMillis(String a, String b) {
        return java.util.stream.Stream.concat(DELAYS.stream(), WITNESS_DELAYS.stream()).filter(d -> (d.a().equals(a) && d.b().equals(b)) || (d.a().equals(b) && d.b().equals(a)))
                .findFirst().orElseThrow().oneWayMillis();
    }

    /** The configuration file the lab's nodes and WAN emulator run with, every region on 127.0.0.1. */
    public static String configYaml(Ports ports, Setup wan) {
        return configYaml(ports, wan, null);
    }

    /**
     * As {@link #configYaml(Ports, Setup)}; with a {@code network}, each region listens on its own
     * address in its namespace and the WAN emulator listens for a region's outgoing links on the
     * host's end of that region's veth.
     */
    public static String configYaml(Ports ports, Setup wan, LabNetwork network) {
        List<Region> regions = wan.regions();
        java.util.function.IntFunction<String> address = i -> network == null ? "127.0.0.1" : network.hosts().get(i).address();
        java.util.function.IntFunction<String> linksFrom = i -> network == null ? "127.0.0.1" : network.hosts().get(i).hostAddress();
        StringBuilder y = new StringBuilder();
        y.append("# Written by `meridian lab up`; regenerated on every start.\n");
        y.append("regions:\n");
        for (int i = 0; i < regions.size(); i++) {
            Region r = regions.get(i);
            y.append("  - name: ").append(r.name()).append('\n')
                    .append("    location: ").append(r.location()).append('\n');
            if (r.name().equals(WITNESS)) {
                y.append("    role: witness\n");
            }
            y
                    .append("    http: ").append(address.apply(i)).append(':').append(ports.regions().get(i)).append('\n')
                    .append("    replication: ").append(address.apply(i)).append(':').append(ports.replication().get(i)).append('\n')
                    .append("    consensus: ").append(address.apply(i)).append(':').append(ports.consensus().get(i)).append('\n');
        }
        y.append("\n# Every region reaches every other through the WAN emulator.\nlinks:\n");
        int link = 0;
        for (int f = 0; f < regions.size(); f++) {
            Region from = regions.get(f);
            String via = linksFrom.apply(f);
            for (Region to : regions) {
                if (!from.equals(to)) {
                    y.append("  - {from: ").append(from.name()).append(", to: ").append(to.name())
                            .append(", via: ").append(via).append(':').append(ports.links().get(link))
                            .append(", replication-via: ").append(via).append(':').append(ports.replicationLinks().get(link))
                            .append(", consensus-via: ").append(via).append(':').append(ports.consensusLinks().get(link)).append("}\n");
                    link++;
                }
            }
        }
        String budget = wan.rpoBudget() == null ? "" : "    rpo-budget: " + wan.rpoBudget() + "\n"
                + (wan.onBudgetExceeded() == null ? "" : "    on-budget-exceeded: " + wan.onBudgetExceeded() + "\n");
        y.append("""

                keyspaces:
                  - name: cache          # stays in the region that wrote it
                    policy: local
                  - name: catalog        # written in us-east, read everywhere
                    policy: primary
                    primary: us-east
                %1$s  - name: profiles       # each key written in its home region, read everywhere
                    policy: home-region
                %1$s  - name: sessions       # written anywhere; concurrent writes: last writer wins, losers on the conflict feed
                    policy: multi-master
                %1$s  - name: accounts       # one Raft group across the regions: linearizable, transactions
                    policy: strong
                    leader-preference: [us-east, eu-west]
                  - name: inventory
                    policy: strong
                    leader-preference: [us-east, eu-west]
                  - name: likes          # CRDTs: every region writes at once, regions merge, nothing conflicts
                    policy: crdt
                    type: counter
                  - name: tags           # a set: concurrent add and remove of one element keep it (add wins)
                    policy: crdt
                    type: set
                  - name: carts          # item -> quantity
                    policy: crdt
                    type: map<counter>
                  - name: comments       # ordered, with concurrent inserts kept apart
                    policy: crdt
                    type: sequence
                  - name: settings       # field -> value, last writer wins per field
                    policy: crdt
                    type: map<register>
                  - name: orders         # event streams: each stream's home appends, every region keeps them all
                    policy: event-log
                    projections:         # read models every region folds from the events
                      - {name: order-status, type: merge}
                  - name: eu-customers   # lives in eu-west only: other regions refuse it and receive its writes withheld
                    policy: multi-master
                    residency: [eu-west]

                probe:
                  interval-ms: 1000
                  timeout-ms: 2000

                """.formatted(budget));
        y.append("# Failure detection and failover (docs/failover.md).\nfailover:\n  policy: ").append(wan.failoverPolicy())
                .append("\n  failback: ").append(wan.autoFailback() ? "auto" : "manual").append("\n\n");
        if (wan.retainedLogEntries() > 0 || wan.compression() != null) {
            y.append("replication:\n");
            if (wan.retainedLogEntries() > 0) {
                y.append("  retained-log-entries: ").append(wan.retainedLogEntries()).append('\n');
            }
            if (wan.compression() != null) {
                y.append("  compression: ").append(wan.compression()).append('\n');
            }
            y.append('\n');
        }
        if (wan.canaryMillis() != null) {
            y.append("# Canary probes (docs/observability.md): every region's beat, measured where it arrives.\ncanary:\n")
                    .append("  interval-ms: ").append(wan.canaryMillis()).append("\n\n");
        }
        y.append("# What a GB sent between regions costs, for GET /v1/cost (docs/observability.md, \"Cost\"): AWS's price\n")
                .append("# for data leaving its US and European regions for another region, and leaving Singapore.\ncost:\n")
                .append("  currency: USD\n  default-per-gb: 0.02\n  prices:\n    - {from: ap-southeast, per-gb: 0.09}\n\n");
        if (wan.tls()) {
            y.append("# TLS everywhere (docs/security.md): the lab's CA and certificates, made by `lab up` (unless --no-tls).\ntls:\n")
                    .append("  dir: ").append(CERTS_DIR).append("\n\n");
            y.append("# Access tokens (docs/security.md): every request but health checks and metrics needs one, or the\n")
                    .append("# certificate of a region or of the client `lab` (what the lab's own commands show).\n")
                    .append("auth:\n  tokens: required\n  admins: [lab]\n\n");
        }
        y.append("wan:\n");
        y.append("  control: 127.0.0.1:").append(ports.control()).append('\n');
        y.append("  latency-scale: ").append(String.format(Locale.ROOT, "%s", wan.latencyScale())).append('\n');
        y.append("  jitter-ms: ").append(wan.jitterMillis()).append('\n');
        y.append("  bandwidth-kbps: ").append(wan.bandwidthKbps()).append('\n');
        if (wan.captureDir() != null) {
            y.append("  capture-dir: \"").append(wan.captureDir().replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        y.append("  delays:\n");
        for (Delay d : wan.witness() ? WITNESS_DELAYS : DELAYS) {
            y.append("    - {between: [").append(d.a()).append(", ").append(d.b()).append("], one-way-ms: ")
                    .append(String.format(Locale.ROOT, "%s", d.oneWayMillis())).append("}\n");
        }
        return y.toString();
    }
}
