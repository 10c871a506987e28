package io.meridian.node;

import io.meridian.core.replication.ConflictResolver;
import io.meridian.core.replication.Entry;

/** A resolver for tests: the longer value wins. */
public final class LongerValueWins implements ConflictResolver {
    @Override
    public int compare(Entry a, Entry b) {
        return Integer.compare(a.value().length, b.value().length);
    }
}
