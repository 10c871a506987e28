package io.meridian.core.txn;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Evaluates a {@link Txn} against a keyspace's state: pure and deterministic, so every replica
 * of a strong keyspace's state machine computes the same outcome from the same log entry.
 * Nothing is applied when any operation fails: the caller applies {@link Outcome#writes()}
 * atomically, or nothing.
 */
public final class TxnEvaluator {
    private TxnEvaluator() {
    }

    /** A key's current value and version, as the state machine stores them. */
    public record Stored(String value, long version) {
    }

    /** Reads the state before the transaction. */
    @FunctionalInterface
    public interface State {
        Optional<Stored> get(String key);
    }

    /** What to write (empty value: delete) and what to answer. */
    public record Outcome(boolean succeeded, Map<String, Optional<String>> writes, List<Result> results) {
        public Outcome {
            writes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(writes));
            results = List.copyOf(results);
        }
    }

    /** One key the branch touched, after it: its new version (0 when deleted) and value (null when deleted). */
    public record Result(String key, long version, String value) {
    }

    /**
     * @param newVersion the version every write of this transaction gets (the log index, say)
     * @throws MeridianException {@code NOT_AN_INTEGER} naming the key when an {@code add} meets a
     *                           value that is not an integer, or overflows
     */
    public static Outcome evaluate(Txn txn, State state, long newVersion) {
        boolean succeeded = txn.compares().stream().allMatch(c -> holds(c, state.get(c.key())));
        List<Txn.Op> branch = succeeded ? txn.then() : txn.otherwise();
        Map<String, Optional<String>> writes = new LinkedHashMap<>();
        for (Txn.Op op : branch) {
            Optional<String> before = writes.containsKey(op.key()) ? writes.get(op.key()) : state.get(op.key()).map(Stored::value);
            writes.put(op.key(), switch (op) {
                case Txn.Op.Put p -> Optional.of(p.value());
                case Txn.Op.Delete d -> Optional.empty();
                case Txn.Op.Add a -> Optional.of(Long.toString(add(a, before)));
            });
        }
        List<Result> results = new ArrayList<>();
        writes.forEach((key, value) -> results.add(new Result(key, value.isPresent() ? newVersion : 0, value.orElse(null))));
        return new Outcome(succeeded, writes, results);
    }

    static boolean holds(Txn.Compare c, Optional<Stored> current) {
        return switch (c) {
            case Txn.Compare.Exists e -> current.isPresent() == e.exists();
            case Txn.Compare.Version v -> current.map(Stored::version).orElse(0L) == v.version();
            case Txn.Compare.ValueEquals v -> current.map(s -> s.value().equals(v.value())).orElse(false);
            case Txn.Compare.AtLeast a -> current.flatMap(s -> integer(s.value())).map(n -> n >= a.bound()).orElse(false);
            case Txn.Compare.AtMost a -> current.flatMap(s -> integer(s.value())).map(n -> n <= a.bound()).orElse(false);
        };
    }

    private static long add(Txn.Op.Add a, Optional<String> before) {
        long base = 0;
        if (before.isPresent()) {
            base = integer(before.get()).orElseThrow(() -> new MeridianException(ProblemType.NOT_AN_INTEGER,
                    "add on key '" + a.key() + "': its value '" + abbreviate(before.get())
                            + "' is not an integer; the transaction was not applied",
                    Map.of("key", a.key())));
        }
        try {
            return Math.addExact(base, a.delta());
        } catch (ArithmeticException e) {
            throw new MeridianException(ProblemType.NOT_AN_INTEGER, "add on key '" + a.key() + "': " + base + " + "
                    + a.delta() + " overflows a 64-bit integer; the transaction was not applied", Map.of("key", a.key()));
        }
    }

    /** An integer in canonical decimal text (what {@code add} writes), else empty. */
    static Optional<Long> integer(String text) {
        if (text.isEmpty() || text.length() > 20 || !text.matches("-?(0|[1-9][0-9]*)")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
