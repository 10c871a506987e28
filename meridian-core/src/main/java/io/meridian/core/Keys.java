package io.meridian.core;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Keys are non-empty UTF-8 strings of at most {@link #MAX_KEY_BYTES} bytes. Keys arrive
 * percent-encoded in URLs; {@link #decodePathSegment} decodes them strictly, so malformed
 * escapes and invalid UTF-8 are refused rather than replaced.
 */
public final class Keys {
    /** 1 KiB: long enough for composite keys, short enough to keep index blocks small. */
    public static final int MAX_KEY_BYTES = 1024;

    private Keys() {
    }

    /** Checks a decoded key and returns its UTF-8 bytes. */
    public static byte[] validate(String key) {
        if (key.isEmpty()) {
            throw invalid(key, "the key is empty; expected 1 to " + MAX_KEY_BYTES + " bytes of UTF-8");
        }
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_KEY_BYTES) {
            throw new MeridianException(ProblemType.INVALID_KEY,
                    "the key is " + bytes.length + " bytes long; expected at most " + MAX_KEY_BYTES + " bytes",
                    Map.of("key_bytes", bytes.length, "max_key_bytes", MAX_KEY_BYTES));
        }
        return bytes;
    }

    /** Decodes UTF-8 bytes read back from storage; they were validated when written. */
    public static String fromBytes(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Decodes a percent-encoded URL segment (or query value: {@code +} is kept as is) to a key.
     *
     * @throws MeridianException {@code INVALID_KEY} for a malformed escape or bytes that are not UTF-8
     */
    public static String decodePathSegment(String raw) {
        if (plainAscii(raw)) {
            return raw; // most keys: nothing to decode, and no garbage per request (it was 5 % of a busy region's)
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length() * 3);
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length() || hex(raw.charAt(i + 1)) < 0 || hex(raw.charAt(i + 2)) < 0) {
                    throw invalid(raw, "'" + raw + "' has a malformed percent-escape at offset " + i
                            + "; expected %XX with two hex digits");
                }
                bytes.put((byte) (hex(raw.charAt(i + 1)) << 4 | hex(raw.charAt(i + 2))));
                i += 2;
            } else {
                bytes.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        bytes.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw invalid(raw, "'" + raw + "' does not decode to valid UTF-8; keys are UTF-8 text");
        }
    }

    /** Whether every character is ASCII and none is a percent sign: such a segment decodes to itself. */
    private static boolean plainAscii(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= 0x80 || c == '%') {
                return false;
            }
        }
        return true;
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static MeridianException invalid(String key, String detail) {
        return new MeridianException(ProblemType.INVALID_KEY, detail, Map.of("key", key));
    }
}
