package io.meridian.core.replication;

/**
 * Decides which of concurrent writes to one key of a multi-master keyspace wins. Name an
 * implementation in the keyspace's {@code resolver} option: a public class with a public no-arg
 * constructor, on every node's class path.
 *
 * <p>Contract: {@link #compare} is a deterministic order on writes, the same in every region and
 * at every time: it may look only at the two entries. Ties (0) are broken by last-writer-wins,
 * so every region picks the same winner. Each region applies it to the same set, the writes no
 * other write follows ({@link KeyState}), so the order of arrival does not matter. Losers go to
 * the conflict feed with {@link #rule()} as the rule that decided.
 */
public interface ConflictResolver {

    /** Positive when {@code a} wins over {@code b}, negative when {@code b} wins, 0 to let last-writer-wins decide. */
    int compare(Entry a, Entry b);

    /** How the conflict feed names this rule. */
    default String rule() {
        return "resolver " + getClass().getName() + ", ties by last-writer-wins";
    }

    /** Last-writer-wins on (HLC, origin): the default. */
    ConflictResolver LWW = new ConflictResolver() {
        @Override
        public int compare(Entry a, Entry b) {
            return Entry.LWW_ORDER.compare(a, b);
        }

        @Override
        public String rule() {
            return Conflict.LWW_RULE;
        }
    };
}
