package io.meridian.node;

/** The node cannot start for a reason the operator can fix (a port in use, a refused keyspace). */
public final class NodeStartException extends RuntimeException {
    public NodeStartException(String message) {
        super(message);
    }

    public NodeStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
