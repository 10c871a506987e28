package io.meridian.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real handshakes over loopback sockets between parties holding certificates of {@code meridian certs}. */
class TlsFilesTest {
    private static final List<String> HOSTS = List.of("localhost", "127.0.0.1");
    private static final Set<String> REGIONS = Set.of("us-east", "eu-west");

    @TempDir
    Path dir;
    CertificateAuthority ca;
    Instant now = Instant.now();

    @BeforeEach
    void authority() throws IOException {
        ca = CertificateAuthority.create(now, Duration.ofDays(365));
        ca.save(dir);
        for (String region : REGIONS) {
            CertificateAuthority.save(ca.issue(Identity.region(region), HOSTS, now.minusSeconds(60), now.plus(Duration.ofDays(30))), dir);
        }
    }

    /** {@code region}'s files in the directory, as a context accepting the peer regions. */
    private SSLContext regionContext(String region) throws IOException {
        return TlsFiles.of(dir, Identity.region(region)).context(TlsFilesTest::peerRegion);
    }

    private static boolean peerRegion(Identity id) {
        return id.kind() == Identity.Kind.REGION && REGIONS.contains(id.name());
    }

    /**
     * A server on {@code server}'s context requiring a client certificate, and a client on
     * {@code client}'s checking the server's address; the server's certificate as the client saw
     * it, or the client's handshake failure.
     */
    private static X509Certificate handshake(SSLContext server, SSLContext client) throws Exception {
        try (SSLServerSocket listening = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            listening.setNeedClientAuth(true);
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listening.accept()) {
                    s.startHandshake();
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the client reports what it saw
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", listening.getLocalPort())) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.setSoTimeout(10_000);
                s.startHandshake();
                if (s.getInputStream().read() != 1) { // TLS 1.3: the server's verdict on our certificate arrives with its first bytes
                    throw new SSLHandshakeException("the server closed the connection");
                }
                s.getOutputStream().write(1);
                return (X509Certificate) s.getSession().getPeerCertificates()[0];
            } finally {
                accepted.get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A context from an issued certificate as it is, without the checks {@link TlsFiles} makes of its own files. */
    private static SSLContext raw(CertificateAuthority.Issued issued, TlsFiles trust) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", issued.key(), new char[0], issued.chain().toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, new char[0]);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {trust.trustManager(id -> true)}, null);
        return c;
    }

    @Test
    void regionsOfOneAuthorityShakeHandsBothWays() throws Exception {
        TlsFiles east = TlsFiles.of(dir, Identity.region("us-east"));
        TlsFiles west = TlsFiles.of(dir, Identity.region("eu-west"));
        X509Certificate seen = handshake(west.context(TlsFilesTest::peerRegion), east.context(TlsFilesTest::peerRegion));
        assertThat(Identity.of(seen)).contains(Identity.region("eu-west"));
        assertThat(Files.getPosixFilePermissions(dir.resolve("us-east.key"))).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.getPosixFilePermissions(dir.resolve("us-east.crt"))).contains(PosixFilePermission.OTHERS_READ);
    }

    @Test
    void aCertificateOfAnotherAuthorityIsRefused() throws Exception {
        CertificateAuthority other = CertificateAuthority.create(now, Duration.ofDays(365));
        SSLContext stranger = raw(other.issue(Identity.region("us-east"), HOSTS, now.minusSeconds(60), now.plusSeconds(3600)),
                TlsFiles.trustOnly(dir));
        TlsFiles west = TlsFiles.of(dir, Identity.region("eu-west"));
        assertThatThrownBy(() -> handshake(west.context(TlsFilesTest::peerRegion), stranger)).isInstanceOf(IOException.class);
        // and the other way: a client of this deployment refuses a server of another
        assertThatThrownBy(() -> handshake(stranger, west.context(TlsFilesTest::peerRegion)))
                .hasMessageContaining(rootMessageOfForeign(other));
    }

    private static String rootMessageOfForeign(CertificateAuthority other) {
        return "the certificate of region us-east was not issued by this deployment's CA (issuer "
                + other.certificate().getSubjectX500Principal().getName() + ")";
    }

    @Test
    void anExpiredCertificateIsRefusedAndNotLoadedAsOnesOwn() throws Exception {
        CertificateAuthority.Issued expired = ca.issue(Identity.region("us-east"), HOSTS, now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1)));
        TlsFiles west = TlsFiles.of(dir, Identity.region("eu-west"));
        assertThatThrownBy(() -> handshake(raw(expired, west), west.context(TlsFilesTest::peerRegion)))
                .hasMessageContaining("the certificate of region us-east expired on " + expired.certificate().getNotAfter().toInstant());
        CertificateAuthority.save(expired, dir);
        assertThatThrownBy(() -> TlsFiles.of(dir, Identity.region("us-east"))).isInstanceOf(IOException.class)
                .hasMessageContaining("us-east.crt expired on");
    }

    @Test
    void aRegionOutsideTheDeploymentAndAClientAreRefusedWhereARegionIsRequired() throws Exception {
        CertificateAuthority.save(ca.issue(Identity.region("mars"), HOSTS, now.minusSeconds(60), now.plusSeconds(3600)), dir);
        CertificateAuthority.save(ca.issue(Identity.client("ops"), List.of(), now.minusSeconds(60), now.plusSeconds(3600)), dir);
        TlsFiles west = TlsFiles.of(dir, Identity.region("eu-west"));
        TlsFiles mars = TlsFiles.of(dir, Identity.region("mars"));
        TlsFiles ops = TlsFiles.of(dir, Identity.client("ops"));
        assertThatThrownBy(() -> handshake(west.context(TlsFilesTest::peerRegion), mars.context(id -> true)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> handshake(west.context(TlsFilesTest::peerRegion), ops.context(id -> true)))
                .isInstanceOf(IOException.class);
        // where clients are welcome, the same client is accepted
        assertThat(Identity.of(handshake(west.context(id -> true), ops.context(TlsFilesTest::peerRegion))))
                .contains(Identity.region("eu-west"));
        // and a client does not take a region outside the deployment for one of its servers
        assertThatThrownBy(() -> handshake(mars.context(id -> true), ops.context(TlsFilesTest::peerRegion)))
                .hasMessageContaining("the certificate of region mars is not accepted on this connection");
    }

    @Test
    void aRotatedCertificateIsShownOnNewConnectionsWithoutARestart() throws Exception {
        SSLContext server = regionContext("eu-west");
        SSLContext client = regionContext("us-east");
        BigInteger first = handshake(server, client).getSerialNumber();
        CertificateAuthority.Issued renewed = ca.issue(Identity.region("eu-west"), HOSTS, now.minusSeconds(60), now.plus(Duration.ofDays(90)));
        CertificateAuthority.save(renewed, dir);
        Thread.sleep(1_100); // files are looked at again at most once a second
        assertThat(handshake(server, client).getSerialNumber()).isNotEqualTo(first).isEqualTo(renewed.certificate().getSerialNumber());
        // a broken file is not taken: the certificate loaded before stays in use
        Files.writeString(dir.resolve("eu-west.crt"), "-----BEGIN CERTIFICATE-----\nnot base64\n");
        Thread.sleep(1_100);
        assertThat(handshake(server, client).getSerialNumber()).isEqualTo(renewed.certificate().getSerialNumber());
    }

    @Test
    void aPemPairIsShownAndARenewedOneReplacesItWithoutARestart() throws Exception {
        PemKeyPair pair = PemKeyPair.of(dir.resolve("eu-west.crt"), dir.resolve("eu-west.key"));
        SSLContext server = PemKeyPair.context(pair.keyManager(), TlsFiles.of(dir, Identity.region("eu-west")).trustManager(TlsFilesTest::peerRegion));
        SSLContext client = regionContext("us-east");
        BigInteger first = handshake(server, client).getSerialNumber();
        assertThat(first).isEqualTo(pair.certificate().getSerialNumber());
        CertificateAuthority.Issued renewed = ca.issue(Identity.region("eu-west"), HOSTS, now.minusSeconds(60), now.plus(Duration.ofDays(90)));
        CertificateAuthority.save(renewed, dir);
        Thread.sleep(1_100); // files are looked at again at most once a second
        assertThat(handshake(server, client).getSerialNumber()).isEqualTo(renewed.certificate().getSerialNumber());
        // a key of another certificate is not taken: the pair loaded before stays in use
        Files.copy(dir.resolve("us-east.key"), dir.resolve("eu-west.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Thread.sleep(1_100);
        assertThat(handshake(server, client).getSerialNumber()).isEqualTo(renewed.certificate().getSerialNumber());
        assertThatThrownBy(() -> PemKeyPair.of(dir.resolve("eu-west.crt"), dir.resolve("eu-west.key")))
                .hasMessageContaining("is not the key of");
        assertThatThrownBy(() -> PemKeyPair.of(dir.resolve("nowhere.crt"), dir.resolve("eu-west.key")))
                .hasMessageContaining("cannot read").hasMessageContaining("nowhere.crt");
    }

    @Test
    void keysAreMatchedToCertificatesWhateverTheirAlgorithm() throws Exception {
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance(algorithm);
            java.security.KeyPair mine = g.generateKeyPair();
            java.security.KeyPair other = g.generateKeyPair();
            org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=" + algorithm);
            X509Certificate cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
                    new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, BigInteger.ONE, java.util.Date.from(now),
                            java.util.Date.from(now.plusSeconds(60)), name, mine.getPublic())
                            .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(
                                    algorithm.equals("Ed25519") ? "Ed25519" : "SHA256with" + (algorithm.equals("EC") ? "ECDSA" : "RSA"))
                                    .build(mine.getPrivate())));
            assertThat(TlsFiles.matches(mine.getPrivate(), cert)).as(algorithm).isTrue();
            assertThat(TlsFiles.matches(other.getPrivate(), cert)).as(algorithm).isFalse();
        }
    }

    @Test
    void filesThatDoNotBelongTogetherAreRefusedSayingWhy() throws Exception {
        assertThatThrownBy(() -> TlsFiles.of(dir, Identity.region("ap-south"))).hasMessageContaining("ap-south.crt")
                .hasMessageContaining("meridian certs issue ap-south");
        Files.copy(dir.resolve("eu-west.key"), dir.resolve("us-east.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> TlsFiles.of(dir, Identity.region("us-east"))).hasMessageContaining("is not the key of");
        Files.copy(dir.resolve("eu-west.crt"), dir.resolve("us-east.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> TlsFiles.of(dir, Identity.region("us-east"))).hasMessageContaining("speaks for region eu-west, not region us-east");
        assertThatThrownBy(() -> ca.save(dir)).hasMessageContaining("already holds a certificate authority");
        assertThatThrownBy(() -> Identity.region("Bad_Name")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ca.issue(Identity.region("x"), List.of("a b"), now, now.plusSeconds(1)))
                .hasMessageContaining("not a host name");
    }

    @Test
    void aRevokedCertificateIsRefusedOnNewConnectionsOnceTheListArrivesWithoutARestart() throws Exception {
        TlsFiles east = TlsFiles.of(dir, Identity.region("us-east"));
        SSLContext server = east.context(TlsFilesTest::peerRegion);
        SSLContext client = regionContext("eu-west");
        handshake(server, client);

        X509Certificate westCert = Pem.certificates(dir.resolve("eu-west.crt")).getFirst();
        Revocations list = ca.revoke(westCert, now, dir);
        assertThat(list.serials()).containsOnlyKeys(westCert.getSerialNumber());
        Thread.sleep(1_100); // files are looked at again at most once a second
        // as a client, refused by the server (which side notices first varies: a TLS alert or a broken pipe)
        assertThatThrownBy(() -> handshake(server, client)).isInstanceOf(IOException.class);
        // as a server, refused by the client, saying why
        assertThatThrownBy(() -> handshake(client, server)).hasMessageContaining("region eu-west").hasMessageContaining("was revoked on");
        // the refusal says which certificate and since when; a region whose own certificate is revoked does not start
        assertThatThrownBy(() -> east.trustManager(TlsFilesTest::peerRegion).checkClientTrusted(new X509Certificate[] {westCert}, "EC"))
                .hasMessageContaining("region eu-west").hasMessageContaining("was revoked on " + now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertThatThrownBy(() -> TlsFiles.of(dir, Identity.region("eu-west"))).hasMessageContaining("was revoked on")
                .hasMessageContaining("issue a new one");

        // a new certificate for the region is not revoked; revoking a second keeps the first
        CertificateAuthority.save(ca.issue(Identity.region("eu-west"), HOSTS, now.minusSeconds(60), now.plus(Duration.ofDays(30))), dir);
        Thread.sleep(1_100);
        handshake(server, regionContext("eu-west"));
        X509Certificate other = ca.issue(Identity.client("ops"), List.of(), now.minusSeconds(60), now.plus(Duration.ofDays(1))).certificate();
        assertThat(ca.revoke(other, now.plusSeconds(5), dir).serials()).containsOnlyKeys(westCert.getSerialNumber(), other.getSerialNumber());
    }

    @Test
    void aRevocationListNotSignedByTheDeploymentsCaIsNotLoaded() throws Exception {
        SSLContext server = regionContext("us-east");
        SSLContext client = regionContext("eu-west");
        // another authority "revokes" eu-west: nobody may revoke what they did not issue
        Path elsewhere = dir.resolve("elsewhere");
        CertificateAuthority stranger = CertificateAuthority.create(now, Duration.ofDays(1));
        stranger.save(elsewhere);
        X509Certificate westCert = Pem.certificates(dir.resolve("eu-west.crt")).getFirst();
        assertThatThrownBy(() -> stranger.revoke(westCert, now, elsewhere)).hasMessageContaining("not issued by this CA");
        X509Certificate strangers = stranger.issue(Identity.region("eu-west"), HOSTS, now, now.plusSeconds(60)).certificate();
        stranger.revoke(strangers, now, elsewhere);
        Files.copy(elsewhere.resolve(Revocations.FILE), dir.resolve(Revocations.FILE));
        assertThatThrownBy(() -> TlsFiles.trustOnly(dir)).hasMessageContaining("was not signed by the CA");
        Thread.sleep(1_100);
        handshake(server, client); // the list that does not load is not taken: nothing is refused because of it
        Files.writeString(dir.resolve(Revocations.FILE), "not a list");
        assertThatThrownBy(() -> TlsFiles.trustOnly(dir)).hasMessageContaining("not a PEM revocation list");
    }
}
