package io.meridian.core.crdt;

/** An operation that is malformed, or does not fit the keyspace's type: nothing was applied. */
public final class CrdtException extends IllegalArgumentException {
    public CrdtException(String message) {
        super(message);
    }
}
