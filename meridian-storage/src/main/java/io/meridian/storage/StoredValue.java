package io.meridian.storage;

import java.util.Objects;

/**
 * A value as stored: its key, version, when it was written (wall-clock millis, for display and
 * {@code Last-Modified}; never used for ordering) and the content type the writer gave.
 */
public record StoredValue(byte[] key, long version, long modifiedMillis, String contentType, byte[] value) {
    public StoredValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(value, "value");
        if (version <= 0) {
            throw new IllegalArgumentException("version must be positive: " + version);
        }
    }
}
