package io.meridian.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A deployment's certificate authority: the one key whose signature makes a certificate count
 * here. Regions accept each other, and clients, only with certificates it issued, and the
 * certificate says who it speaks for ({@link Identity}). Keys are ECDSA P-256; the authority's own
 * key is kept in {@code ca.key}, readable by its owner only, and belongs off the hosts once the
 * certificates are issued.
 */
public final class CertificateAuthority {
    public static final String CERT_FILE = "ca.crt";
    public static final String KEY_FILE = "ca.key";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PrivateKey key;
    private final X509Certificate certificate;

    private CertificateAuthority(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /** A certificate and its key, as issued. */
    public record Issued(Identity identity, PrivateKey key, List<X509Certificate> chain) {
        public X509Certificate certificate() {
            return chain.getFirst();
        }
    }

    /** A new authority, valid from {@code now} for {@code validity}. */
    public static CertificateAuthority create(Instant now, Duration validity) {
        KeyPair pair = newKeyPair();
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Meridian")
                .addRDN(BCStyle.CN, "Meridian CA " + Long.toHexString(RANDOM.nextLong() >>> 16)).build();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(validity)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(pair.getPrivate(), sign(b, pair.getPrivate()));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create a certificate authority: " + e.getMessage(), e);
        }
    }

    /** The authority kept in {@code dir} ({@value #CERT_FILE} and {@value #KEY_FILE}). */
    public static CertificateAuthority load(Path dir) throws IOException {
        Path cert = dir.resolve(CERT_FILE);
        Path key = dir.resolve(KEY_FILE);
        if (!Files.exists(cert) || !Files.exists(key)) {
            throw new IOException("no certificate authority in " + dir + " (" + CERT_FILE + " and " + KEY_FILE
                    + "): create one with `meridian certs init --dir " + dir + "`");
        }
        return new CertificateAuthority(Pem.privateKey(key), Pem.certificates(cert).getFirst());
    }

    /** Writes the authority to {@code dir}; refuses to replace one there (every certificate it issued would stop counting). */
    public void save(Path dir) throws IOException {
        if (Files.exists(dir.resolve(CERT_FILE)) || Files.exists(dir.resolve(KEY_FILE))) {
            throw new IOException(dir + " already holds a certificate authority (" + CERT_FILE + "): a new one would void"
                    + " every certificate the old one issued; remove it first if that is what you want");
        }
        Pem.write(dir.resolve(KEY_FILE), Pem.encode(key), true);
        Pem.write(dir.resolve(CERT_FILE), Pem.encode(List.of(certificate)), false);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues a certificate for {@code identity}, valid from {@code notBefore} to {@code notAfter}.
     * A region's serves and connects (server and client authentication) on {@code hosts}, the
     * names and addresses its peers and clients reach it by, and on its region name (how Raft
     * dials it); a client's only connects.
     */
    public Issued issue(Identity identity, List<String> hosts, Instant notBefore, Instant notAfter) {
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("a certificate must end after it begins");
        }
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri()));
        if (identity.kind() == Identity.Kind.REGION && !hosts.contains(identity.name())) {
            // Raft dials a region by its name (the address behind it may change), and checks the name against this.
            names.add(new GeneralName(GeneralName.dNSName, identity.name()));
        }
        for (String host : hosts) {
            if (!Hosts.valid(host)) {
                throw new IllegalArgumentException("'" + host + "' is not a host name or an IP address");
            }
            Optional<byte[]> address = Hosts.address(host);
            names.add(address.isPresent() ? new GeneralName(GeneralName.iPAddress, new org.bouncycastle.asn1.DEROctetString(address.get()))
                    : new GeneralName(GeneralName.dNSName, host));
        }
        KeyPair pair = newKeyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Meridian")
                .addRDN(BCStyle.OU, identity.kind() == Identity.Kind.REGION ? "region" : "client")
                .addRDN(BCStyle.CN, identity.name()).build();
        KeyPurposeId[] purposes = identity.kind() == Identity.Kind.REGION
                ? new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}
                : new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth};
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(notBefore),
                    Date.from(notAfter), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(certificate));
            return new Issued(identity, pair.getPrivate(), List.of(sign(b, key), certificate));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + identity + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code issued} to {@code dir}: a region's as {@code REGION.crt} and {@code REGION.key},
     * a client's as {@code client.NAME.crt} and {@code client.NAME.key}, replacing older ones (a
     * node picks the new ones up without a restart).
     *
     * @return the certificate file
     */
    public static Path save(Issued issued, Path dir) throws IOException {
        Path cert = certFile(dir, issued.identity());
        Pem.write(keyFile(dir, issued.identity()), Pem.encode(issued.key()), true);
        Pem.write(cert, Pem.encode(issued.chain()), false);
        return cert;
    }

    /**
     * Revokes {@code revoked}, a certificate this authority issued: {@value Revocations#FILE} in
     * {@code dir} gains its serial, signed again with every serial it already named. Copy the file
     * beside {@code ca.crt} on every host; regions refuse the certificate on new connections from
     * the second after it arrives.
     *
     * @return the list as written
     * @throws IOException when {@code revoked} is not this authority's, or the list in {@code dir} is not
     */
    public Revocations revoke(X509Certificate revoked, Instant now, Path dir) throws IOException {
        try {
            revoked.verify(certificate.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException("that certificate was not issued by this CA (" + certificate.getSubjectX500Principal().getName()
                    + "): revoking it here would change nothing");
        }
        Revocations list = Revocations.load(dir, certificate).with(revoked, now);
        Pem.write(dir.resolve(Revocations.FILE), list.encode(certificate, key, now), false);
        return list;
    }

    public static Path certFile(Path dir, Identity identity) {
        return dir.resolve(stem(identity) + ".crt");
    }

    public static Path keyFile(Path dir, Identity identity) {
        return dir.resolve(stem(identity) + ".key");
    }

    private static String stem(Identity identity) {
        return identity.kind() == Identity.Kind.REGION ? identity.name() : "client." + identity.name();
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make P-256 keys", e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}
