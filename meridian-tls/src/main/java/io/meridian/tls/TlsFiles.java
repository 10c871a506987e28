package io.meridian.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One party's TLS files in a certificates directory, as {@code meridian certs} writes them: the
 * deployment's {@code ca.crt}, and the party's own certificate and key (none for a client that
 * only checks the regions it talks to). The key and trust managers it hands out read the files
 * again when they change, checked at most once a second, so a rotated certificate is used for new
 * connections without a restart; a change that does not load (a half-copied file, a key that does
 * not match) is logged and the files last loaded stay in use.
 */
public final class TlsFiles {
    private static final Logger log = LoggerFactory.getLogger(TlsFiles.class);
    private static final long RECHECK_NANOS = 1_000_000_000L;
    private static final String ALIAS = "meridian-";

    private final Path dir;
    private final Optional<Identity> self;
    private final Object lock = new Object();
    private volatile Loaded current;
    /** The files loaded before {@link #current}: a handshake that chose its alias then can still finish. */
    private volatile Loaded previous;
    private volatile long checkedNanos;
    /** Why the files last failed to load, while they still do (guarded by {@link #lock}). */
    private String lastFailure;

    /** What was read from the files, once. */
    private record Loaded(int generation, String stamp, PrivateKey key, X509Certificate[] chain, X509ExtendedTrustManager pkix,
                          X509Certificate ca, Revocations revoked) {
        String alias() {
            return ALIAS + generation;
        }

        OneKeyManager.Held held() {
            return new OneKeyManager.Held(alias(), key, chain);
        }
    }

    private TlsFiles(Path dir, Optional<Identity> self, Loaded loaded) {
        this.dir = dir;
        this.self = self;
        this.current = loaded;
        this.checkedNanos = System.nanoTime();
    }

    /**
     * {@code self}'s files in {@code dir}, read and checked now: the certificate must come from
     * the CA in {@code ca.crt}, name {@code self}, match its key and be valid today.
     *
     * @throws IOException saying which file is missing or wrong, and how to make it
     */
    public static TlsFiles of(Path dir, Identity self) throws IOException {
        return new TlsFiles(dir, Optional.of(self), load(dir, Optional.of(self), 1));
    }

    /** Only {@code ca.crt} in {@code dir}: a client that shows no certificate of its own. */
    public static TlsFiles trustOnly(Path dir) throws IOException {
        return new TlsFiles(dir, Optional.empty(), load(dir, Optional.empty(), 1));
    }

    /** This party's certificate as last loaded (empty for {@link #trustOnly}). */
    public Optional<X509Certificate> certificate() {
        Loaded l = loaded();
        return l.chain.length == 0 ? Optional.empty() : Optional.of(l.chain[0]);
    }

    /**
     * A TLS context that shows this party's certificate and accepts, on either side of a
     * connection, only certificates of the deployment's CA whose {@link Identity} {@code accept}
     * takes.
     */
    public SSLContext context(Predicate<Identity> accept) {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(self.isPresent() ? new KeyManager[] {keyManager()} : null, new TrustManager[] {trustManager(accept)}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no TLS: " + e.getMessage(), e);
        }
    }

    /** Shows this party's certificate, as the files hold it now. */
    public X509ExtendedKeyManager keyManager() {
        return new OneKeyManager(new OneKeyManager.Loads() {
            @Override
            public OneKeyManager.Held now() {
                return loaded().held();
            }

            @Override
            public OneKeyManager.Held byAlias(String alias) {
                for (Loaded l : new Loaded[] {current, previous}) {
                    if (l != null && l.alias().equals(alias)) {
                        return l.held();
                    }
                }
                return null;
            }
        });
    }

    /**
     * Accepts certificates issued by the deployment's CA, valid now, whose identity {@code accept}
     * takes; the CA is read again when {@code ca.crt} changes.
     */
    public X509ExtendedTrustManager trustManager(Predicate<Identity> accept) {
        return new TrustManagerImpl(accept);
    }

    private Loaded loaded() {
        long now = System.nanoTime();
        if (now - checkedNanos < RECHECK_NANOS) {
            return current;
        }
        synchronized (lock) {
            if (now - checkedNanos < RECHECK_NANOS) {
                return current;
            }
            checkedNanos = now;
            Loaded l = current;
            try {
                if (!stamp(dir, self).equals(l.stamp)) {
                    Loaded fresh = load(dir, self, l.generation + 1);
                    previous = l;
                    current = fresh;
                    log.info("TLS files in {} changed: now using {}", dir, describe(fresh));
                }
            } catch (IOException e) {
                // Said once per problem, not every second: the same broken or missing files are looked at again quietly.
                if (!e.getMessage().equals(lastFailure)) {
                    log.warn("TLS files in {} changed but do not load, still using those loaded before: {}", dir, e.getMessage());
                    lastFailure = e.getMessage();
                }
                return l;
            }
            lastFailure = null;
            return current;
        }
    }

    private static String describe(Loaded l) {
        return l.chain.length == 0 ? "the CA " + l.ca.getSubjectX500Principal().getName()
                : Identity.of(l.chain[0]).map(String::valueOf).orElse("?") + "'s certificate valid until "
                        + l.chain[0].getNotAfter().toInstant();
    }

    private static List<Path> files(Path dir, Optional<Identity> self) {
        Path ca = dir.resolve(CertificateAuthority.CERT_FILE);
        return self.map(s -> List.of(ca, CertificateAuthority.certFile(dir, s), CertificateAuthority.keyFile(dir, s))).orElse(List.of(ca));
    }

    /** The files' sizes and modification times (and the revocation list's, or its absence): what changes when one is rewritten. */
    private static String stamp(Path dir, Optional<Identity> self) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Path f : files(dir, self)) {
            b.append(Files.size(f)).append('@').append(Files.getLastModifiedTime(f).toMillis()).append(';');
        }
        Path crl = dir.resolve(Revocations.FILE);
        try {
            b.append(Files.size(crl)).append('@').append(Files.getLastModifiedTime(crl).toMillis());
        } catch (java.nio.file.NoSuchFileException e) {
            b.append("no revocations");
        }
        return b.toString();
    }

    private static Loaded load(Path dir, Optional<Identity> self, int generation) throws IOException {
        for (Path f : files(dir, self)) {
            if (!Files.isReadable(f)) {
                throw new IOException("cannot read " + f + (f.getFileName().toString().equals(CertificateAuthority.CERT_FILE)
                        ? ": the deployment's CA certificate (`meridian certs init --dir " + dir + "` makes one)"
                        : ": " + self.orElseThrow() + "'s certificate or key (`meridian certs "
                                + (self.orElseThrow().kind() == Identity.Kind.REGION ? "issue " : "client ") + self.orElseThrow().name()
                                + " --dir " + dir + "` makes them)"));
            }
        }
        String stamp = stamp(dir, self);
        X509Certificate ca = Pem.certificates(dir.resolve(CertificateAuthority.CERT_FILE)).getFirst();
        X509ExtendedTrustManager pkix = pkix(ca);
        Revocations revoked = Revocations.load(dir, ca);
        if (self.isEmpty()) {
            return new Loaded(generation, stamp, null, new X509Certificate[0], pkix, ca, revoked);
        }
        Identity who = self.get();
        Path certFile = CertificateAuthority.certFile(dir, who);
        X509Certificate[] chain = Pem.certificates(certFile).toArray(X509Certificate[]::new);
        PrivateKey key = Pem.privateKey(CertificateAuthority.keyFile(dir, who));
        X509Certificate mine = chain[0];
        Optional<Identity> named = Identity.of(mine);
        if (!named.equals(self)) {
            throw new IOException(certFile + " speaks for " + named.map(String::valueOf).orElse("nobody (no urn:meridian: name)")
                    + ", not " + who);
        }
        try {
            mine.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException(certFile + " was not issued by the CA in " + dir.resolve(CertificateAuthority.CERT_FILE)
                    + " (" + ca.getSubjectX500Principal().getName() + ")");
        }
        try {
            mine.checkValidity(new Date());
        } catch (CertificateExpiredException e) {
            throw new IOException(certFile + " expired on " + mine.getNotAfter().toInstant() + ": issue a new one");
        } catch (CertificateNotYetValidException e) {
            throw new IOException(certFile + " is valid only from " + mine.getNotBefore().toInstant()
                    + " (is this host's clock right?)");
        }
        if (!matches(key, mine)) {
            throw new IOException(CertificateAuthority.keyFile(dir, who) + " is not the key of " + certFile
                    + " (were they copied from different runs of `meridian certs`?)");
        }
        Optional<Instant> revokedAt = revoked.revoked(mine);
        if (revokedAt.isPresent()) {
            throw new IOException(certFile + " was revoked on " + revokedAt.get() + " (" + dir.resolve(Revocations.FILE)
                    + "): issue a new one");
        }
        return new Loaded(generation, stamp, key, chain, pkix, ca, revoked);
    }

    /** Whether {@code key} is the private half of {@code cert}'s public key: it signs what the certificate's key verifies. */
    static boolean matches(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            default -> key.getAlgorithm(); // Ed25519, Ed448: the key's own name is the signature's
        };
        try {
            java.security.Signature s = java.security.Signature.getInstance(algorithm);
            if (algorithm.equals("RSASSA-PSS")) {
                s.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            byte[] probe = "meridian".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            s.initSign(key);
            s.update(probe);
            byte[] signature = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(probe);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static X509ExtendedTrustManager pkix(X509Certificate ca) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
            f.init(store);
            return Arrays.stream(f.getTrustManagers()).filter(X509ExtendedTrustManager.class::isInstance)
                    .map(X509ExtendedTrustManager.class::cast).findFirst().orElseThrow();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + ca.getSubjectX500Principal() + ": " + e.getMessage(), e);
        }
    }

    /** Why {@code chain} is refused, in words an operator can act on. */
    static String refusal(X509Certificate[] chain, CertificateException e, X509Certificate ca) {
        if (chain == null || chain.length == 0) {
            return "no certificate";
        }
        X509Certificate leaf = chain[0];
        String who = Identity.of(leaf).map(String::valueOf).orElse(leaf.getSubjectX500Principal().getName());
        Instant now = Instant.now();
        if (leaf.getNotAfter().toInstant().isBefore(now)) {
            return "the certificate of " + who + " expired on " + leaf.getNotAfter().toInstant();
        }
        if (leaf.getNotBefore().toInstant().isAfter(now)) {
            return "the certificate of " + who + " is valid only from " + leaf.getNotBefore().toInstant();
        }
        try {
            leaf.verify(ca.getPublicKey());
        } catch (GeneralSecurityException notOurs) {
            return "the certificate of " + who + " was not issued by this deployment's CA (issuer "
                    + leaf.getIssuerX500Principal().getName() + ")";
        }
        return "the certificate of " + who + " is not valid here: " + e.getMessage();
    }

    private final class TrustManagerImpl extends X509ExtendedTrustManager {
        private final Predicate<Identity> accept;

        TrustManagerImpl(Predicate<Identity> accept) {
            this.accept = accept;
        }

        private void check(X509Certificate[] chain, String side, Check pkixCheck) throws CertificateException {
            Loaded l = loaded();
            try {
                pkixCheck.run(l.pkix);
            } catch (CertificateException e) {
                String why = refusal(chain, e, l.ca);
                log.info("TLS {} refused: {}", side, why);
                throw new CertificateException(why, e);
            }
            Optional<Identity> who = Identity.of(chain[0]);
            Optional<Instant> revokedAt = l.revoked.revoked(chain[0]);
            if (revokedAt.isPresent()) {
                String why = "the certificate of " + who.map(String::valueOf).orElse(chain[0].getSubjectX500Principal().getName())
                        + " (serial " + chain[0].getSerialNumber().toString(16) + ") was revoked on " + revokedAt.get();
                log.info("TLS {} refused: {}", side, why);
                throw new CertificateException(why);
            }
            if (who.isEmpty() || !accept.test(who.get())) {
                String why = who.map(w -> "the certificate of " + w + " is not accepted on this connection").orElse(
                        "the certificate of " + chain[0].getSubjectX500Principal().getName() + " names no Meridian region or client");
                log.info("TLS {} refused: {}", side, why);
                throw new CertificateException(why);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain, "client", p -> p.checkClientTrusted(chain, authType, socket));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain, "server", p -> p.checkServerTrusted(chain, authType, socket));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain, "client", p -> p.checkClientTrusted(chain, authType, engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain, "server", p -> p.checkServerTrusted(chain, authType, engine));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, "client", p -> p.checkClientTrusted(chain, authType));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, "server", p -> p.checkServerTrusted(chain, authType));
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {loaded().ca};
        }
    }

    private interface Check {
        void run(X509ExtendedTrustManager pkix) throws CertificateException;
    }
}
