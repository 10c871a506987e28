package io.meridian.node;

/** Ports free on 127.0.0.1 a moment ago, for configurations that must name them before a node binds. */
final class FreePorts {
    private FreePorts() {
    }

    /** The {@code regions:} of us-east and eu-west on 127.0.0.1, HTTP and replication on four such ports. */
    static String twoRegions(int[] p) {
        return """
                regions:
                  - {name: us-east, http: 127.0.0.1:%d, replication: 127.0.0.1:%d}
                  - {name: eu-west, http: 127.0.0.1:%d, replication: 127.0.0.1:%d}
                """.formatted(p[0], p[1], p[2], p[3]);
    }

    /** {@code n} distinct ports: see {@link io.meridian.core.config.LoopbackPorts} for the traps this avoids. */
    static int[] take(int n) {
        return io.meridian.core.config.LoopbackPorts.free(n);
    }
}
