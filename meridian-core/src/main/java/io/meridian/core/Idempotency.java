package io.meridian.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;

/**
 * A write's idempotency key: the client's {@code Idempotency-Key} header, the fingerprint of the
 * request it was sent with, and whether the write created its key (so a replay can say so).
 *
 * <p>A node keeps the key with the write it named, for a configured time: a request repeating
 * the key and the request is answered as the write was and applies nothing; repeating the key
 * with another request is refused ({@code 422 idempotency-key-reused}). Replicated writes carry
 * the key to every region, so a write retried in another region after a failover is applied
 * once, wherever its first attempt had reached.
 *
 * @param key         the header's value, 1 to {@value #MAX_LENGTH} visible ASCII characters
 * @param fingerprint what the request asked for (operation, key, body...), hashed; see {@link #fingerprint}
 * @param created     true when the write created its key (a put of a key that did not exist)
 */
public record Idempotency(String key, long fingerprint, boolean created) {
    public static final String HEADER = "Idempotency-Key";
    /** On an answer repeated for a retried request: {@code true}. */
    public static final String REPLAYED = "Idempotent-Replayed";
    public static final int MAX_LENGTH = 255;
    /** No key: the request named none. */
    public static final Idempotency NONE = new Idempotency("", 0, false);

    public Idempotency {
        java.util.Objects.requireNonNull(key, "key");
        if (key.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("idempotency key of " + key.length() + " characters");
        }
    }

    public boolean isNone() {
        return key.isEmpty();
    }

    public Idempotency created(boolean created) {
        return new Idempotency(key, fingerprint, created);
    }

    /**
     * The header's key, if the request has one: a bare token or a quoted string (the IETF draft's
     * structured-field form, {@code "8e03978e-..."}), of visible ASCII characters.
     *
     * @throws MeridianException {@code MALFORMED_HEADER} saying what is wrong with it
     */
    public static Optional<String> parse(String header) {
        if (header == null) {
            return Optional.empty();
        }
        String value = header.strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        String problem = null;
        if (value.isEmpty()) {
            problem = "is empty";
        } else if (value.length() > MAX_LENGTH) {
            problem = "has " + value.length() + " characters; at most " + MAX_LENGTH;
        } else {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
                    problem = "has a character outside visible ASCII (or a quote) at position " + i;
                    break;
                }
            }
        }
        if (problem != null) {
            throw new MeridianException(ProblemType.MALFORMED_HEADER, HEADER + " " + problem
                    + "; send a unique token per write, e.g. a UUID", Map.of("header", HEADER));
        }
        return Optional.of(value);
    }

    /**
     * A fingerprint of a request: the first 8 bytes of SHA-256 over its parts and body, each
     * length-prefixed, so no two different requests share one by concatenation.
     */
    public static long fingerprint(byte[] body, String... parts) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        for (String part : parts) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            sha.update(length(bytes.length));
            sha.update(bytes);
        }
        sha.update(length(body.length));
        sha.update(body);
        return java.nio.ByteBuffer.wrap(sha.digest()).getLong();
    }

    private static byte[] length(int n) {
        return java.nio.ByteBuffer.allocate(4).putInt(n).array();
    }

    /** True when {@code request} repeats the request this key was first sent with. */
    public boolean sameRequest(Idempotency request) {
        return key.equals(request.key) && fingerprint == request.fingerprint;
    }

    /**
     * The refusal of a key sent again with another request.
     */
    public MeridianException reused(String keyspace) {
        return new MeridianException(ProblemType.IDEMPOTENCY_KEY_REUSED, HEADER + " '" + key + "' was sent before with another"
                + " request to keyspace '" + keyspace + "'; nothing was written. Each write needs its own key",
                Map.of("keyspace", keyspace, "idempotency_key", key));
    }
}
