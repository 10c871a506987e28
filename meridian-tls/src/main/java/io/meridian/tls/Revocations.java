package io.meridian.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates a deployment's CA has revoked: an X.509 revocation list in {@code ca.crl},
 * signed by the CA, beside {@code ca.crt} in every certificates directory. A region refuses a
 * certificate whose serial the list names, on new connections, from the second after the file
 * changes; a list not signed by the deployment's CA is not loaded.
 *
 * @param serials each revoked serial and when it was revoked
 */
public record Revocations(Map<BigInteger, Instant> serials) {
    public static final String FILE = "ca.crl";
    /** None: a directory without {@value #FILE}. */
    public static final Revocations NONE = new Revocations(Map.of());

    public Revocations {
        serials = Collections.unmodifiableMap(new TreeMap<>(serials));
    }

    /** When {@code certificate} was revoked, if it was. */
    public Optional<Instant> revoked(X509Certificate certificate) {
        return Optional.ofNullable(serials.get(certificate.getSerialNumber()));
    }

    /** The list in {@code dir}, checked against {@code ca}; {@link #NONE} when there is no file. */
    public static Revocations load(Path dir, X509Certificate ca) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return NONE;
        }
        X509CRL crl;
        try (InputStream in = Files.newInputStream(file)) {
            crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException(file + ": not a PEM revocation list (expected -----BEGIN X509 CRL-----): " + e.getMessage(), e);
        }
        try {
            crl.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " was not signed by the CA in " + dir.resolve(CertificateAuthority.CERT_FILE)
                    + ": `meridian certs revoke` writes it with the CA's key");
        }
        Map<BigInteger, Instant> serials = new TreeMap<>();
        if (crl.getRevokedCertificates() != null) {
            for (X509CRLEntry e : crl.getRevokedCertificates()) {
                serials.put(e.getSerialNumber(), e.getRevocationDate().toInstant());
            }
        }
        return new Revocations(serials);
    }

    /** This list and {@code certificate}'s serial, revoked at {@code now} (to the second, as the list keeps it). */
    Revocations with(X509Certificate certificate, Instant now) {
        Map<BigInteger, Instant> more = new TreeMap<>(serials);
        more.putIfAbsent(certificate.getSerialNumber(), now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        return new Revocations(more);
    }

    /** The list as {@value #FILE} holds it, signed by {@code ca}'s key, issued {@code now}. */
    String encode(X509Certificate ca, PrivateKey key, Instant now) throws IOException {
        X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), Date.from(now));
        // Regions do not wait for a newer list: the date is there for tools that read it.
        b.setNextUpdate(Date.from(now.plus(java.time.Duration.ofDays(3650))));
        serials.forEach((serial, at) -> b.addCRLEntry(serial, Date.from(at), CRLReason.unspecified));
        try {
            X509CRL crl = new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
            StringWriter out = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                w.writeObject(crl);
            }
            return out.toString();
        } catch (OperatorCreationException | java.security.cert.CRLException e) {
            throw new IOException("cannot sign the revocation list: " + e.getMessage(), e);
        }
    }
}
