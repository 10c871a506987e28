package io.meridian.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Always one certificate and key, as files hold them now, named by an alias that says which load
 * of the files they came from: a handshake that chose an alias before a reload still gets the key
 * and chain of that same load.
 */
final class OneKeyManager extends X509ExtendedKeyManager {
    /** One load of a key and its chain; no key: nothing to show. */
    record Held(String alias, PrivateKey key, X509Certificate[] chain) {
    }

    /** Where the loads come from. */
    interface Loads {
        /** The files as they are now (read again when they changed). */
        Held now();

        /** The load {@code alias} names, if it is the current or the one before; else null. */
        Held byAlias(String alias);
    }

    private final Loads loads;

    OneKeyManager(Loads loads) {
        this.loads = loads;
    }

    private String choose(String... keyTypes) {
        Held h = loads.now();
        if (h.key() == null) {
            return null;
        }
        String algorithm = h.key().getAlgorithm();
        for (String t : keyTypes) {
            if (t != null && (t.equals(algorithm) || t.startsWith(algorithm + "_"))) {
                return h.alias();
            }
        }
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        String a = choose(keyType);
        return a == null ? null : new String[] {a};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return choose(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return choose(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Held h = loads.byAlias(alias);
        return h == null ? null : h.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Held h = loads.byAlias(alias);
        return h == null ? null : h.key();
    }
}
