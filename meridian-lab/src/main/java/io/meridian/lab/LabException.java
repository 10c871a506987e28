package io.meridian.lab;

/** A lab operation that cannot be done, with what to do instead. */
public final class LabException extends RuntimeException {
    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
