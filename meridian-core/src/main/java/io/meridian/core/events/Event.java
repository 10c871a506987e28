package io.meridian.core.events;

import java.util.Arrays;
import java.util.Objects;

/**
 * One event as a client appends it: an id the client chooses (a UUID; a retry with the same id
 * appends nothing), a type, and its data and metadata as JSON text (UTF-8; metadata empty when
 * the client sent none).
 */
public record Event(String id, String type, byte[] data, byte[] metadata) {
    public Event {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(metadata, "metadata");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Event e && id.equals(e.id) && type.equals(e.type) && Arrays.equals(data, e.data)
                && Arrays.equals(metadata, e.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, type, Arrays.hashCode(data), Arrays.hashCode(metadata));
    }

    @Override
    public String toString() {
        return type + " " + id;
    }
}
