package io.meridian.core.events;

/** A request to append or read events that is malformed: nothing was appended. */
public final class EventException extends IllegalArgumentException {
    public EventException(String message) {
        super(message);
    }
}
