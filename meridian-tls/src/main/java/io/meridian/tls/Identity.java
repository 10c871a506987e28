package io.meridian.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who a certificate speaks for: a region of the deployment or a named client. It is written in
 * the certificate as a URI subject alternative name, {@code urn:meridian:region:eu-west} or
 * {@code urn:meridian:client:ops}, beside the host names and addresses the holder serves on; a
 * certificate without one speaks for nobody here.
 */
public record Identity(Kind kind, String name) {
    /** What names look like: as region names in the configuration, and client names alike. */
    public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final String PREFIX = "urn:meridian:";
    /** {@link X509Certificate#getSubjectAlternativeNames()}'s type for a URI. */
    private static final int URI_NAME = 6;

    public enum Kind {
        REGION, CLIENT;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Identity {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a name for a certificate: a lower-case letter, then"
                    + " lower-case letters, digits and hyphens, at most 63 in all");
        }
    }

    public static Identity region(String name) {
        return new Identity(Kind.REGION, name);
    }

    public static Identity client(String name) {
        return new Identity(Kind.CLIENT, name);
    }

    /** The URI written into the certificate. */
    public String uri() {
        return PREFIX + kind.word() + ":" + name;
    }

    /** Parses {@link #uri()}; empty when {@code uri} is not one. */
    public static Optional<Identity> parse(String uri) {
        for (Kind kind : Kind.values()) {
            String prefix = PREFIX + kind.word() + ":";
            if (uri.startsWith(prefix) && NAME.matcher(uri.substring(prefix.length())).matches()) {
                return Optional.of(new Identity(kind, uri.substring(prefix.length())));
            }
        }
        return Optional.empty();
    }

    /** The identity {@code certificate} names, if it names one. */
    public static Optional<Identity> of(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        if (names == null) {
            return Optional.empty();
        }
        return names.stream().filter(n -> n.size() == 2 && Integer.valueOf(URI_NAME).equals(n.get(0)))
                .map(n -> parse(String.valueOf(n.get(1)))).flatMap(Optional::stream).findFirst();
    }

    @Override
    public String toString() {
        return kind.word() + " " + name;
    }
}
