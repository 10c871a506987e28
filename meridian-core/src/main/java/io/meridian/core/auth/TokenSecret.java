package io.meridian.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * The text of an access token, {@code mrd_ID_SECRET}: a public id (16 hex digits, what listings
 * and revocations name) and a secret of 256 random bits (base64url). Regions keep only the
 * secret's SHA-256; a presented token is checked by hashing its secret and comparing in constant
 * time. The prefix lets secret scanners and people recognise one.
 */
public record TokenSecret(String id, String secret) {
    public static final String PREFIX = "mrd_";
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{43}");

    /** A new token from {@code random} (pass a {@link java.security.SecureRandom}). */
    public static TokenSecret generate(RandomGenerator random) {
        byte[] id = new byte[8];
        byte[] secret = new byte[32];
        random.nextBytes(id);
        random.nextBytes(secret);
        return new TokenSecret(HexFormat.of().formatHex(id), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** The token as presented, if it has the form of one. */
    public static Optional<TokenSecret> parse(String text) {
        if (text == null || !text.startsWith(PREFIX) || text.length() != PREFIX.length() + 16 + 1 + 43
                || text.charAt(PREFIX.length() + 16) != '_') {
            return Optional.empty();
        }
        String id = text.substring(PREFIX.length(), PREFIX.length() + 16);
        String secret = text.substring(PREFIX.length() + 17);
        return ID.matcher(id).matches() && SECRET.matcher(secret).matches() ? Optional.of(new TokenSecret(id, secret)) : Optional.empty();
    }

    public String text() {
        return PREFIX + id + "_" + secret;
    }

    /** The SHA-256 of the secret, in hex: what regions store. */
    public String sha256() {
        return HexFormat.of().formatHex(digest(secret));
    }

    /** Whether this secret is the one {@code token} was made with (constant time in the secret). */
    public boolean matches(AccessToken token) {
        return token.id().equals(id) && MessageDigest.isEqual(digest(secret), HexFormat.of().parseHex(token.secretSha256()));
    }

    private static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return PREFIX + id + "_…"; // never the secret, in logs or messages
    }
}
