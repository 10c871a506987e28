package io.meridian.core.events;

import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * What an append does to a stream, decided at the stream's home from the stream's last version
 * and the versions its event ids already have there. Pure.
 */
public final class EventLog {
    private EventLog() {
    }

    /** The outcome of a request to append. */
    public sealed interface Decision {
        /** Append these events at these versions. */
        record Appended(Append append) implements Decision {
        }

        /** Every event of the request is already in the stream, in order: a retry; nothing to append. */
        record AlreadyAppended(long firstVersion, long lastVersion) implements Decision {
        }

        /** The stream's last version is not the one the request expected: nothing appended. */
        record WrongExpectedVersion(long expected, long current) implements Decision {
        }

        /** Some of the request's events are in the stream and others are not: not a retry of one append. */
        record PartlyAppended(String id, long version) implements Decision {
        }
    }

    /**
     * @param lastVersion the stream's last version, 0 when it does not exist
     * @param versionOf   the version an event id has in the stream, if it has one
     */
    public static Decision decide(AppendRequest request, long lastVersion, Function<String, OptionalLong> versionOf) {
        List<Event> events = request.events();
        OptionalLong first = versionOf.apply(events.getFirst().id());
        if (first.isPresent()) {
            for (int i = 1; i < events.size(); i++) {
                OptionalLong v = versionOf.apply(events.get(i).id());
                if (v.isEmpty() || v.getAsLong() != first.getAsLong() + i) {
                    return new Decision.PartlyAppended(events.getFirst().id(), first.getAsLong());
                }
            }
            return new Decision.AlreadyAppended(first.getAsLong(), first.getAsLong() + events.size() - 1);
        }
        for (Event e : events) {
            OptionalLong v = versionOf.apply(e.id());
            if (v.isPresent()) {
                return new Decision.PartlyAppended(e.id(), v.getAsLong());
            }
        }
        if (request.expectedVersion() != AppendRequest.ANY && request.expectedVersion() != lastVersion) {
            return new Decision.WrongExpectedVersion(request.expectedVersion(), lastVersion);
        }
        return new Decision.Appended(new Append(lastVersion + 1, events));
    }
}
