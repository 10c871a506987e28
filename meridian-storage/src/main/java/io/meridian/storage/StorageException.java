package io.meridian.storage;

/** Storage failed (disk, RocksDB). Unexpected: reported as a 500 or a failed health check. */
public final class StorageException extends RuntimeException {
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
