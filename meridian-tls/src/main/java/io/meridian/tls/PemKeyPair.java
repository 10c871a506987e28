package io.meridian.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A certificate chain and its private key in two PEM files, from any CA (a public one for what
 * browsers reach, or the deployment's own): what a gateway or an edge shows its clients. The key
 * manager reads the files again when they change, checked at most once a second, so a renewed
 * certificate is shown on new connections without a restart; a change that does not load (a
 * half-copied file, a key of another certificate) is logged once and the pair last loaded stays.
 */
public final class PemKeyPair {
    private static final Logger log = LoggerFactory.getLogger(PemKeyPair.class);
    private static final long RECHECK_NANOS = 1_000_000_000L;

    private final Path certFile;
    private final Path keyFile;
    private final Object lock = new Object();
    private volatile OneKeyManager.Held current;
    private volatile OneKeyManager.Held previous;
    private volatile String stamp;
    private volatile long checkedNanos;
    private String lastFailure;
    private int generation = 1;

    private PemKeyPair(Path certFile, Path keyFile) throws IOException {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.stamp = stamp();
        this.current = load(1);
        this.checkedNanos = System.nanoTime();
    }

    /**
     * The pair in {@code certFile} (the holder's certificate first, then any intermediates) and
     * {@code keyFile}, read and checked now: the key must be the certificate's and the certificate
     * valid today.
     *
     * @throws IOException saying which file is missing or wrong
     */
    public static PemKeyPair of(Path certFile, Path keyFile) throws IOException {
        return new PemKeyPair(certFile, keyFile);
    }

    /** The certificate shown, as last loaded. */
    public X509Certificate certificate() {
        return now().chain()[0];
    }

    /** Shows the pair as the files hold it now. */
    public X509ExtendedKeyManager keyManager() {
        return new OneKeyManager(new OneKeyManager.Loads() {
            @Override
            public OneKeyManager.Held now() {
                return PemKeyPair.this.now();
            }

            @Override
            public OneKeyManager.Held byAlias(String alias) {
                for (OneKeyManager.Held h : new OneKeyManager.Held[] {current, previous}) {
                    if (h != null && h.alias().equals(alias)) {
                        return h;
                    }
                }
                return null;
            }
        });
    }

    /**
     * Trusts the certificates in {@code caFile} (one or more PEM certificates) as anchors, and
     * nothing else: how a gateway or edge checks the HTTPS instances and peers it forwards to.
     */
    public static X509ExtendedTrustManager trustAnchors(Path caFile) throws IOException {
        List<X509Certificate> anchors = Pem.certificates(caFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) {
                store.setCertificateEntry("anchor-" + i, anchors.get(i));
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
            f.init(store);
            return Arrays.stream(f.getTrustManagers()).filter(X509ExtendedTrustManager.class::isInstance)
                    .map(X509ExtendedTrustManager.class::cast).findFirst().orElseThrow();
        } catch (GeneralSecurityException e) {
            throw new IOException(caFile + ": cannot trust its certificates: " + e.getMessage(), e);
        }
    }

    /** A TLS context of these managers (null: none of its own key; the JDK's trust). */
    public static SSLContext context(KeyManager keys, TrustManager trust) {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(keys == null ? null : new KeyManager[] {keys}, trust == null ? null : new TrustManager[] {trust}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no TLS: " + e.getMessage(), e);
        }
    }

    private OneKeyManager.Held now() {
        long t = System.nanoTime();
        if (t - checkedNanos < RECHECK_NANOS) {
            return current;
        }
        synchronized (lock) {
            if (t - checkedNanos < RECHECK_NANOS) {
                return current;
            }
            checkedNanos = t;
            try {
                String seen = stamp();
                if (!seen.equals(stamp)) {
                    OneKeyManager.Held fresh = load(generation + 1);
                    generation++;
                    previous = current;
                    current = fresh;
                    stamp = seen;
                    log.info("{} changed: now showing {}, valid until {}", certFile,
                            fresh.chain()[0].getSubjectX500Principal().getName(), fresh.chain()[0].getNotAfter().toInstant());
                }
                lastFailure = null;
            } catch (IOException e) {
                if (!e.getMessage().equals(lastFailure)) {
                    log.warn("{} or {} changed but does not load; still showing the pair loaded before: {}", certFile, keyFile,
                            e.getMessage());
                    lastFailure = e.getMessage();
                }
            }
            return current;
        }
    }

    private String stamp() throws IOException {
        StringBuilder b = new StringBuilder();
        for (Path f : List.of(certFile, keyFile)) {
            if (!Files.isReadable(f)) {
                throw new IOException("cannot read " + f);
            }
            b.append(Files.size(f)).append('@').append(Files.getLastModifiedTime(f).toMillis()).append(';');
        }
        return b.toString();
    }

    private OneKeyManager.Held load(int gen) throws IOException {
        if (!Files.isReadable(certFile)) {
            throw new IOException("cannot read the certificate file " + certFile);
        }
        if (!Files.isReadable(keyFile)) {
            throw new IOException("cannot read the key file " + keyFile);
        }
        X509Certificate[] chain = Pem.certificates(certFile).toArray(X509Certificate[]::new);
        PrivateKey key = Pem.privateKey(keyFile);
        X509Certificate mine = chain[0];
        try {
            mine.checkValidity(new Date());
        } catch (CertificateExpiredException e) {
            throw new IOException(certFile + " expired on " + mine.getNotAfter().toInstant() + ": renew it");
        } catch (CertificateNotYetValidException e) {
            throw new IOException(certFile + " is valid only from " + mine.getNotBefore().toInstant() + " (is this host's clock right?)");
        }
        if (!TlsFiles.matches(key, mine)) {
            throw new IOException(keyFile + " is not the key of " + certFile);
        }
        return new OneKeyManager.Held("pem-" + gen, key, chain);
    }
}
