package io.meridian.core.txn;

import java.util.List;
import java.util.Objects;

/**
 * An etcd-style transaction on one strong keyspace: if every compare holds, run {@code then},
 * else run {@code otherwise}; all of it atomically (one consensus log entry, applied in one
 * state-machine step). The wire form is documented in docs/api.md:
 *
 * <pre>
 * {"if":   [{"key": "alice", "at_least": 30}, {"key": "bob", "exists": true}],
 *  "then": [{"add": {"key": "alice", "delta": -30}}, {"add": {"key": "bob", "delta": 30}}],
 *  "else": []}
 * </pre>
 */
public record Txn(List<Compare> compares, List<Op> then, List<Op> otherwise) {
    /** Bounds a transaction's size: a consensus entry is applied whole, by every region. */
    public static final int MAX_ITEMS = 128;

    public Txn {
        compares = List.copyOf(compares);
        then = List.copyOf(then);
        otherwise = List.copyOf(otherwise);
    }

    /** A condition on one key's current state. */
    public sealed interface Compare {
        String key();

        record Exists(String key, boolean exists) implements Compare {
        }

        /** The key's version equals this one (0: the key does not exist). */
        record Version(String key, long version) implements Compare {
        }

        record ValueEquals(String key, String value) implements Compare {
        }

        /** The value is an integer (decimal text) at least {@code bound}. An absent or non-integer value fails. */
        record AtLeast(String key, long bound) implements Compare {
        }

        record AtMost(String key, long bound) implements Compare {
        }
    }

    /** A change to one key. */
    public sealed interface Op {
        String key();

        record Put(String key, String value) implements Op {
            public Put {
                Objects.requireNonNull(value, "value");
            }
        }

        record Delete(String key) implements Op {
        }

        /** Adds {@code delta} to the integer stored as decimal text (an absent key counts as 0). */
        record Add(String key, long delta) implements Op {
        }
    }
}
