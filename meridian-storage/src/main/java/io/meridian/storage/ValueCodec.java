package io.meridian.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The on-disk form of a value: {@code [format:1][version:8][modifiedMillis:8][typeLength:2][type][value]}.
 * The format byte lets later versions change the layout; a record this version cannot read is
 * a bug or corruption, and fails loudly with what was found.
 */
final class ValueCodec {
    static final byte FORMAT_V1 = 1;
    private static final int HEADER_BYTES = 1 + 8 + 8 + 2;

    private ValueCodec() {
    }

    static byte[] encode(long version, long modifiedMillis, String contentType, byte[] value) {
        byte[] type = contentType.getBytes(StandardCharsets.UTF_8);
        if (type.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("content type of " + type.length + " bytes");
        }
        return ByteBuffer.allocate(HEADER_BYTES + type.length + value.length)
                .put(FORMAT_V1).putLong(version).putLong(modifiedMillis).putShort((short) type.length)
                .put(type).put(value).array();
    }

    static StoredValue decode(byte[] key, byte[] record) {
        if (record.length < HEADER_BYTES || record[0] != FORMAT_V1) {
            throw new IllegalStateException("unreadable value record for key " + new String(key, StandardCharsets.UTF_8)
                    + ": " + record.length + " bytes, format byte " + (record.length == 0 ? "none" : record[0])
                    + "; expected format " + FORMAT_V1 + " and at least " + HEADER_BYTES + " bytes");
        }
        ByteBuffer buf = ByteBuffer.wrap(record, 1, record.length - 1);
        long version = buf.getLong();
        long modified = buf.getLong();
        int typeLength = buf.getShort();
        if (typeLength < 0 || typeLength > buf.remaining()) {
            throw new IllegalStateException("corrupt value record for key " + new String(key, StandardCharsets.UTF_8)
                    + ": content type length " + typeLength + " with " + buf.remaining() + " bytes left");
        }
        byte[] type = new byte[typeLength];
        buf.get(type);
        byte[] value = new byte[buf.remaining()];
        buf.get(value);
        try {
            return new StoredValue(key, version, modified, new String(type, StandardCharsets.UTF_8), value);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("corrupt value record for key " + new String(key, StandardCharsets.UTF_8)
                    + ": " + e.getMessage(), e);
        }
    }

    /** Reads only the version, for conditional writes that need nothing else. */
    static long version(byte[] record) {
        return ByteBuffer.wrap(record, 1, 8).getLong();
    }
}
