package io.meridian.cli;

import io.meridian.tls.PemKeyPair;
import io.meridian.traffic.TrafficTls;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a gateway or an edge uses TLS: the certificate it serves HTTPS with, and the CAs it trusts upstream. */
final class TrafficTlsOptions {
    @Option(names = "--tls-cert", paramLabel = "FILE", description = "serve HTTPS (HTTP/2 or HTTP/1.1) showing this PEM certificate,"
            + " intermediates after it; needs --tls-key; read again when it changes")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "the PEM private key of --tls-cert")
    Path key;

    @Option(names = "--trust", paramLabel = "FILE", description = "PEM CA certificates that https:// upstreams must be issued by"
            + " (default: the JDK's trusted CAs)")
    Path trust;

    /** @throws IllegalArgumentException when the options do not fit together or the files do not load */
    TrafficTls tls() {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        try {
            javax.net.ssl.SSLContext serve = cert == null ? null : PemKeyPair.context(PemKeyPair.of(cert, key).keyManager(), null);
            javax.net.ssl.SSLContext dial = trust == null ? null : PemKeyPair.context(null, PemKeyPair.trustAnchors(trust));
            return new TrafficTls(serve, dial);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
