package io.meridian.node;

import java.util.concurrent.atomic.AtomicReference;

/** Starting the nodes of a test deployment. */
final class TestNodes {
    private TestNodes() {
    }

    /**
     * A deployment's CA in {@code certs}, and a certificate valid for a day for each of
     * {@code parties} (regions for 127.0.0.1 and localhost).
     */
    static void certificates(java.nio.file.Path certs, java.util.List<io.meridian.tls.Identity> parties) throws java.io.IOException {
        java.time.Instant now = java.time.Instant.now();
        io.meridian.tls.CertificateAuthority ca = io.meridian.tls.CertificateAuthority.create(now, java.time.Duration.ofDays(30));
        ca.save(certs);
        for (io.meridian.tls.Identity id : parties) {
            io.meridian.tls.CertificateAuthority.save(ca.issue(id, id.kind() == io.meridian.tls.Identity.Kind.REGION
                    ? java.util.List.of("127.0.0.1", "localhost") : java.util.List.of(), now.minusSeconds(60),
                    now.plus(java.time.Duration.ofDays(1))), certs);
        }
    }

    /** The {@code regions:} of a two-region test deployment on loopback: us-east on ports p[0..2], eu-west on p[3..5]. */
    static String twoRegions(int[] p) {
        return """
                regions:
                  - {name: us-east, http: 127.0.0.1:%d, replication: 127.0.0.1:%d, consensus: 127.0.0.1:%d}
                  - {name: eu-west, http: 127.0.0.1:%d, replication: 127.0.0.1:%d, consensus: 127.0.0.1:%d}
                """.formatted(p[0], p[1], p[2], p[3], p[4], p[5]);
    }

    /** Sends {@code request} (20 s at most) and reads the answer as text. */
    static java.net.http.HttpResponse<String> send(java.net.http.HttpClient http, java.net.http.HttpRequest.Builder request)
            throws Exception {
        return http.send(request.timeout(java.time.Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Starts every node at once (a node may wait for its peers while it starts: a control plane, a
     * snapshot to bootstrap from) and throws the first failure to start, if any.
     */
    static void startTogether(RegionNode... nodes) throws InterruptedException {
        AtomicReference<RuntimeException> failed = new AtomicReference<>();
        Thread[] starting = new Thread[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            RegionNode node = nodes[i];
            starting[i] = Thread.ofVirtual().start(() -> {
                try {
                    node.start();
                } catch (RuntimeException e) {
                    failed.compareAndSet(null, e);
                }
            });
        }
        for (Thread t : starting) {
            t.join();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
    }
}
