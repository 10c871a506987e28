package io.meridian.node;

import io.meridian.core.config.HostPort;
import io.meridian.core.config.MeridianConfig;
import io.meridian.replication.PeerTls;
import io.meridian.tls.Identity;
import io.meridian.tls.TlsFiles;
import java.io.IOException;
import java.net.http.HttpClient;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A region's TLS, when the configuration has {@code tls}: its HTTP API serves HTTPS, showing the
 * region's certificate and asking clients for theirs (regions must show one; clients may); and
 * everything it opens to another region (probes, forwarded requests, failover words, replication
 * streams, Raft) shows its certificate and takes only a configured region's. Off, everything is
 * plaintext, as in the lab.
 */
public final class NodeTls {
    public static final NodeTls OFF = new NodeTls(null, Set.of());

    private final TlsFiles files;
    private final Set<String> regions;
    private final SSLContext peerContext;

    private NodeTls(TlsFiles files, Set<String> regions) {
        this.files = files;
        this.regions = regions;
        this.peerContext = files == null ? null : files.context(this::isRegion);
    }

    /**
     * The TLS of {@code region} in {@code config}: its files read and checked now.
     *
     * @throws NodeStartException naming the file that is missing or wrong
     */
    public static NodeTls of(MeridianConfig config, String region) {
        if (config.tls().isEmpty()) {
            return OFF;
        }
        TlsFiles files;
        try {
            files = TlsFiles.of(config.tls().get().dir(), Identity.region(region));
        } catch (IOException | IllegalArgumentException e) {
            throw new NodeStartException("TLS for region " + region + ": " + e.getMessage(), e);
        }
        X509Certificate mine = files.certificate().orElseThrow();
        List<String> unnamed = dialledBy(config, region).stream().filter(host -> !io.meridian.tls.Hosts.named(mine, host)).toList();
        if (!unnamed.isEmpty()) {
            throw new NodeStartException("TLS for region " + region + ": its certificate does not name " + String.join(", ", unnamed)
                    + ", which the configuration has other regions dial it by, so they would refuse it; issue it again with "
                    + unnamed.stream().map(h -> "--host " + h).collect(java.util.stream.Collectors.joining(" "))
                    + " beside the names it has (`meridian certs list` shows them)");
        }
        return new NodeTls(files, Set.copyOf(config.regionNames()));
    }

    /** The hosts other regions reach {@code region} by over HTTP and replication (Raft dials it by its region name). */
    static Set<String> dialledBy(MeridianConfig config, String region) {
        Set<String> hosts = new java.util.TreeSet<>();
        for (String other : config.regionNames()) {
            if (!other.equals(region)) {
                hosts.add(config.addressFor(other, region).host());
                config.replicationAddressFor(other, region).ifPresent(a -> hosts.add(a.host()));
            }
        }
        return hosts;
    }

    public boolean on() {
        return files != null;
    }

    private boolean isRegion(Identity id) {
        return id.kind() == Identity.Kind.REGION && regions.contains(id.name());
    }

    /** An HTTP client to other regions: HTTP/1.1, over TLS showing this region's certificate when on. */
    public HttpClient.Builder httpClient(Duration connectTimeout) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout);
        return files == null ? b : b.sslContext(peerContext);
    }

    /** How long before its certificate expires a region says so in its readiness (degraded). */
    public static final java.time.Duration EXPIRY_WARNING = java.time.Duration.ofDays(14);

    /** When this region's certificate, as last loaded, expires; empty when off. */
    public Optional<java.time.Instant> certificateExpiry() {
        return files == null ? Optional.empty() : files.certificate().map(c -> c.getNotAfter().toInstant());
    }

    /** Why readiness should warn at {@code now}: the certificate expires within {@link #EXPIRY_WARNING}, or has. */
    public Optional<String> expiryWarning(java.time.Instant now) {
        return certificateExpiry().filter(t -> t.isBefore(now.plus(EXPIRY_WARNING))).map(t -> t.isBefore(now)
                ? "this region's TLS certificate expired at " + t + ": peers and clients refuse it; issue a new one (`meridian certs issue`)"
                : "this region's TLS certificate expires at " + t + ", in " + java.time.Duration.between(now, t).toHours()
                        + " h: issue a new one (`meridian certs issue`); nodes pick it up without a restart");
    }

    /** What replication streams and Raft use between regions; empty when off. */
    public Optional<PeerTls> peer() {
        return files == null ? Optional.empty()
                : Optional.of(new PeerTls(files.keyManager(), files.trustManager(this::isRegion)));
    }

    /** How this region reaches {@code address} over HTTP: {@code https://} when on (as {@link MeridianConfig#url}). */
    public String url(HostPort address) {
        return (on() ? "https://" : "http://") + address;
    }

    /** The HTTPS side of the API: regions' and clients' certificates of the deployment are taken, none is required. */
    SslContextFactory.Server jetty() {
        SslContextFactory.Server f = new SslContextFactory.Server();
        f.setSslContext(files.context(id -> isRegion(id) || id.kind() == Identity.Kind.CLIENT));
        f.setWantClientAuth(true);
        f.setEndpointIdentificationAlgorithm(null); // clients are named by their certificates, not their addresses
        return f;
    }

    /**
     * Whether a request that says it comes from region {@code claimed} (its {@code Meridian-Region}
     * header) came over a connection showing that region's certificate. Always true when off.
     */
    public boolean authenticates(String claimed, X509Certificate[] peerCertificates) {
        if (files == null) {
            return true;
        }
        return shown(peerCertificates).filter(id -> id.kind() == Identity.Kind.REGION && id.name().equals(claimed)).isPresent();
    }

    /**
     * Whom the certificate a connection showed speaks for (the handshake already checked that this
     * deployment's CA issued it, and that a region's is one of its regions); empty without TLS or
     * without a certificate.
     */
    public Optional<Identity> shown(X509Certificate[] peerCertificates) {
        if (files == null || peerCertificates == null || peerCertificates.length == 0) {
            return Optional.empty();
        }
        return Identity.of(peerCertificates[0]);
    }
}
