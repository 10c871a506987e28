package io.meridian.lab;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Benchmark values: JSON documents of an exact size that look like what applications store (an
 * id, a user, a time, a few cart lines, a free-text note), varied from one write to the next by a
 * seeded generator. A repeated character would flatter any compression and random bytes would be
 * no one's data: here field names repeat across documents, as in real ones, while ids, numbers and
 * the note's letters are random, so compression gains about what it gains on real documents
 * (deflate, each document alone: 100-byte ones to about 90 %, 1 KiB ones to about 60 %).
 */
final class JsonValues {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private final SplittableRandom random;

    JsonValues(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** A JSON object of exactly {@code size} bytes (UTF-8), or a JSON string when {@code size} is too small for one. */
    byte[] next(int size) {
        if (size < 2) {
            throw new IllegalArgumentException("a JSON value needs at least 2 bytes, not " + size);
        }
        int closing = 2; // the note's closing quote and the object's brace
        StringBuilder doc = new StringBuilder(size + 64).append("{\"id\":\"");
        for (int i = 0; i < 32; i++) {
            doc.append(HEX[random.nextInt(16)]);
        }
        doc.append('"');
        String[] fields = {
            ",\"user\":\"u" + (10_000 + random.nextInt(90_000)) + '"',
            ",\"ts\":" + (1_760_000_000_000L + random.nextLong(100_000_000_000L)),
        };
        for (String field : fields) {
            if (doc.length() + field.length() + ",\"note\":\"".length() + closing <= size) {
                doc.append(field);
            }
        }
        for (int i = 0; i < 8; i++) {
            String item = (i == 0 ? ",\"items\":[" : ",") + "{\"sku\":\"SKU-" + (1_000 + random.nextInt(9_000)) + "\",\"qty\":"
                    + (1 + random.nextInt(9)) + ",\"price\":" + (1 + random.nextInt(500)) + "." + (10 + random.nextInt(90)) + "}";
            if (doc.length() + item.length() + 1 + ",\"note\":\"".length() + closing + 24 > size) {
                if (i > 0) {
                    doc.append(']');
                }
                break;
            }
            doc.append(item);
            if (i == 7) {
                doc.append(']');
            }
        }
        doc.append(",\"note\":\"");
        if (doc.length() + closing > size) {
            return string(size);
        }
        while (doc.length() + closing < size) {
            int word = 2 + random.nextInt(8);
            for (int i = 0; i < word && doc.length() + closing < size; i++) {
                doc.append((char) ('a' + random.nextInt(26)));
            }
            if (doc.length() + closing < size) {
                doc.append(' ');
            }
        }
        return doc.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }
    private byte[] string(int size) {
        StringBuilder s = new StringBuilder(size).append('"');
        while (s.length() < size - 1) {
            s.append((char) ('a' + random.nextInt(26)));
        }
        return s.append('"').toString().getBytes(StandardCharsets.UTF_8);
    }
}
