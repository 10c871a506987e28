package io.meridian.core.events;

import java.util.List;

/**
 * Events appended to one stream at once, numbered {@code firstVersion}, {@code firstVersion + 1}...:
 * the value of the replicated write that carries them. A stream's current state (its key's
 * winning write) holds its latest append, so the stream's last version is that append's last.
 */
public record Append(long firstVersion, List<Event> events) {
    public Append {
        events = List.copyOf(events);
        if (firstVersion < 1) {
            throw new IllegalArgumentException("versions start at 1, not " + firstVersion);
        }
        if (events.isEmpty()) {
            throw new IllegalArgumentException("an append holds at least one event");
        }
    }

    public long lastVersion() {
        return firstVersion + events.size() - 1;
    }
}
