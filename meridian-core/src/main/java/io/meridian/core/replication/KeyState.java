package io.meridian.core.replication;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A key's state in a replica: its <em>siblings</em>, the writes to it that no other write here
 * follows (so they are concurrent with each other; usually just one), and which of them wins.
 * Reads see the winner. Keeping every sibling, not just the winner, is what lets a resolver
 * other than last-writer-wins give the same answer in every region: the winner is always chosen
 * over the same set, the causally maximal writes, whatever order they arrived in.
 */
public record KeyState(List<Entry> siblings, int winnerIndex) {
    /** Siblings in a canonical order, so equal states are equal lists everywhere. */
    static final Comparator<Entry> CANONICAL = Comparator.comparing(Entry::origin).thenComparingLong(Entry::seq);

    public KeyState {
        // A write's idempotency key lives in the log and in the store's idempotency records, not in every key's state.
        boolean keyed = false;
        for (Entry s : siblings) {
            keyed |= !s.idempotency().isNone();
        }
        siblings = keyed ? siblings.stream().map(Entry::withoutIdempotency).toList() : List.copyOf(siblings);
        if (siblings.isEmpty() || winnerIndex < 0 || winnerIndex >= siblings.size()) {
            throw new IllegalArgumentException("a key state needs its siblings and a winner among them: "
                    + siblings + " #" + winnerIndex);
        }
        Entry first = siblings.getFirst();
        for (int i = 0; i < siblings.size(); i++) {
            Entry s = siblings.get(i);
            if (!s.keyspace().equals(first.keyspace()) || !s.key().equals(first.key())) {
                throw new IllegalArgumentException("siblings of different keys: " + siblings);
            }
            if (i > 0 && CANONICAL.compare(siblings.get(i - 1), s) >= 0) {
                throw new IllegalArgumentException("siblings out of order or repeated: " + siblings);
            }
        }
    }

    /** One write alone. */
    public static KeyState of(Entry only) {
        return new KeyState(List.of(only), 0);
    }

    /** The state of these concurrent writes under {@code resolver} (ties broken by last-writer-wins). */
    public static KeyState resolve(List<Entry> concurrent, ConflictResolver resolver) {
        List<Entry> sorted = new ArrayList<>(concurrent);
        sorted.sort(CANONICAL);
        int winner = 0;
        for (int i = 1; i < sorted.size(); i++) {
            if (wins(resolver, sorted.get(i), sorted.get(winner))) {
                winner = i;
            }
        }
        return new KeyState(sorted, winner);
    }

    static boolean wins(ConflictResolver resolver, Entry a, Entry b) {
        int order = resolver.compare(a, b);
        return (order != 0 ? order : Entry.LWW_ORDER.compare(a, b)) > 0;
    }

    public Entry winner() {
        return siblings.get(winnerIndex);
    }

    public String keyspace() {
        return winner().keyspace();
    }

    public String key() {
        return winner().key();
    }

    /** Everything this state follows: the union of its siblings' contexts. A write made now follows all of it. */
    public VersionVector context() {
        VersionVector merged = VersionVector.EMPTY;
        for (Entry s : siblings) {
            merged = merged.merge(s.context());
        }
        return merged;
    }

    /** True when one of the siblings follows (or is) the write {@code origin:seq}. */
    public boolean includes(String origin, long seq) {
        return siblings.stream().anyMatch(s -> s.context().get(origin) >= seq);
    }
}
