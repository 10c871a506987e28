package io.meridian.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS context from a certificates directory as {@code meridian certs} writes it: trusting the
 * deployment's {@code ca.crt}, and showing {@code client.NAME.crt} with its key. With the JDK
 * alone: certificates as {@link CertificateFactory} reads PEM, keys as unencrypted PKCS#8
 * ({@code -----BEGIN PRIVATE KEY-----}).
 */
final class ClientCertificates {
    private static final Pattern PKCS8 = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private ClientCertificates() {
    }

    static SSLContext context(Path dir, String client) throws IOException {
        Path ca = dir.resolve("ca.crt");
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(ca)) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (client != null) {
                Path certFile = dir.resolve("client." + client + ".crt");
                Path keyFile = dir.resolve("client." + client + ".key");
                List<Certificate> chain = List.copyOf(certificates(certFile));
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", privateKey(keyFile, chain.getFirst()), new char[0], chain.toArray(Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("the certificates in " + dir + " do not make a TLS context: " + e.getMessage(), e);
        }
    }

    private static Collection<? extends Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read " + file + " (`meridian certs` writes it)");
        }
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> out = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (out.isEmpty()) {
                throw new IOException(file + " holds no certificate");
            }
            return out;
        }
    }

    private static PrivateKey privateKey(Path file, Certificate of) throws IOException, GeneralSecurityException {
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read " + file + " (`meridian certs` writes it)");
        }
        Matcher m = PKCS8.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        if (!m.find()) {
            throw new IOException(file + " holds no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1)));
        // The key's algorithm is the certificate's: EC for `meridian certs`, RSA or Ed25519 elsewhere.
        return KeyFactory.getInstance(of.getPublicKey().getAlgorithm()).generatePrivate(spec);
    }
}
