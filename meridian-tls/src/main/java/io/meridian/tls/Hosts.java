package io.meridian.tls;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Host names and IP addresses as certificates name them: what is issued, and what a certificate covers. */
public final class Hosts {
    /** Host names and addresses a certificate may name: letters, digits, dots, hyphens, colons (IPv6) and a wildcard. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:*-]{1,253}");
    private static final Pattern ADDRESS = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    /** {@link X509Certificate#getSubjectAlternativeNames()}'s types. */
    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;

    private Hosts() {
    }

    /** Whether {@code host} may be written into a certificate. */
    static boolean valid(String host) {
        return HOST.matcher(host).matches();
    }

    /**
     * The bytes of {@code host} when it is an IP address literal; empty for a name (no lookup is made).
     *
     * @throws IllegalArgumentException for what looks like an address and is not one ({@code 999.1.1.1})
     */
    static Optional<byte[]> address(String host) {
        if (!ADDRESS.matcher(host).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(host).getAddress()); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + host + "' is not an IP address", e);
        }
    }

    private static Optional<byte[]> addressOrNone(String host) {
        try {
            return address(host);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code certificate} names {@code host}: as a DNS name (case aside; a leading
     * {@code *.} stands for exactly one label) or as the same IP address.
     */
    public static boolean named(X509Certificate certificate, String host) {
        Collection<List<?>> alternatives;
        try {
            alternatives = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return false;
        }
        if (alternatives == null) {
            return false;
        }
        String wanted = host.toLowerCase(Locale.ROOT);
        Optional<byte[]> wantedAddress = addressOrNone(host);
        for (List<?> n : alternatives) {
            String name = String.valueOf(n.get(1)).toLowerCase(Locale.ROOT);
            if (Integer.valueOf(DNS_NAME).equals(n.get(0)) && wantedAddress.isEmpty() && (name.equals(wanted)
                    || name.startsWith("*.") && wanted.endsWith(name.substring(1)) && wanted.indexOf('.') > 0
                    && wanted.indexOf('.') == wanted.length() - name.length() + 1)) {
                return true;
            }
            if (Integer.valueOf(IP_ADDRESS).equals(n.get(0)) && wantedAddress.isPresent()
                    && addressOrNone(name).filter(a -> java.util.Arrays.equals(a, wantedAddress.get())).isPresent()) {
                return true;
            }
        }
        return false;
    }
}
