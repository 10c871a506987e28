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
     * The home a new stream gets when its first append does not name one: the same region
     * wherever the append arrives (rendezvous hashing of the stream's name over {@code regions}),
     * so two regions creating one stream at once both forward to it, and version 1 is appended
     * once. (A home taken from the region that happened to receive the first append would let two
     * regions each create the stream and both acknowledge version 1.)
     *
     * @param regions the regions that may hold the keyspace's data, in any order
     */
    public static String defaultHome(String stream, List<String> regions) {
        String best = null;
        long bestScore = 0;
        for (String r : regions) {
            long score = mix((r + "\0" + stream).hashCode() * 0x9E3779B97F4A7C15L + r.length());
            if (best == null || Long.compareUnsigned(score, bestScore) > 0 || score == bestScore && r.compareTo(best) < 0) {
                best = r;
                bestScore = score;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no region to be the home of stream '" + stream + "'");
        }
        return best;
    }

    /** A 64-bit finaliser (SplitMix64's): spreads similar names over the regions evenly. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
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
