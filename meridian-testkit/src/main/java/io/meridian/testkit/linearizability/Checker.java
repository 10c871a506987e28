package io.meridian.testkit.linearizability;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides whether a history of register operations is linearizable: whether each operation can
 * be given a single instant between its invocation and its answer such that, in that order,
 * every read returns the latest write and every compare-and-set succeeds exactly when it should.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoisation ("Testing for linearizability",
 * 2017, the algorithm behind Porcupine and Knossos): walk the history in time order, try to
 * linearize each pending operation whose invocation has been reached, backtrack when an answer
 * is reached for an operation not yet linearized, and never revisit a (set of linearized
 * operations, register state) pair. Keys are independent registers, so each key's sub-history is
 * checked alone (linearizability is compositional). Operations without an answer are treated as
 * answering at the end of time with any output: they may take effect at any point after their
 * invocation, or not at all.
 *
 * <p>The problem is NP-complete; {@code maxSteps} bounds the search, and a history whose search
 * runs out is reported {@link Verdict#UNKNOWN}, never as linearizable.
 */
public final class Checker {
    public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

    /** The verdict, and for a failure, the key whose operations cannot be ordered. */
    public record Result(Verdict verdict, String key, int operations, long steps) {
    }

    private Checker() {
    }

    public static Result check(List<Operation> history, long maxSteps) {
        Map<String, List<Operation>> byKey = new TreeMap<>();
        history.forEach(op -> byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op));
        long steps = 0;
        Result unknown = null;
        for (Map.Entry<String, List<Operation>> e : byKey.entrySet()) {
            Result r = checkKey(e.getKey(), e.getValue(), maxSteps);
            steps += r.steps();
            if (r.verdict() == Verdict.NOT_LINEARIZABLE) {
                return r;
            }
            if (r.verdict() == Verdict.UNKNOWN) {
                unknown = r;
            }
        }
        return unknown != null ? unknown : new Result(Verdict.LINEARIZABLE, null, history.size(), steps);
    }

    /** A doubly linked list node: an operation's invocation or its answer. */
    private static final class Event {
        final int op;
        final boolean call;
        final long time;
        Event match;
        Event prev;
        Event next;

        Event(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record Frame(Event call, String state) {
    }

    private static Result checkKey(String key, List<Operation> ops, long maxSteps) {
        Event head = events(ops);
        Map<BitSet, Set<StateKey>> seen = new HashMap<>();
        List<Frame> stack = new ArrayList<>();
        BitSet linearized = new BitSet(ops.size());
        String state = null; // the register starts absent
        Event entry = head.next;
        long steps = 0;
        while (head.next != null) {
            if (++steps > maxSteps) {
                return new Result(Verdict.UNKNOWN, key, ops.size(), steps);
            }
            if (entry.call) {
                Operation op = ops.get(entry.op);
                Step step = step(state, op);
                if (step.ok()) {
                    BitSet next = (BitSet) linearized.clone();
                    next.set(entry.op);
                    if (seen.computeIfAbsent(next, b -> new HashSet<>()).add(new StateKey(step.state()))) {
                        stack.add(new Frame(entry, state));
                        linearized = next;
                        state = step.state();
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                if (stack.isEmpty()) {
                    return new Result(Verdict.NOT_LINEARIZABLE, key, ops.size(), steps);
                }
                Frame top = stack.removeLast();
                linearized.clear(top.call().op);
                state = top.state();
                unlift(top.call());
                entry = top.call().next;
            }
        }
        return new Result(Verdict.LINEARIZABLE, key, ops.size(), steps);
    }

    private record StateKey(String value) {
    }

    private record Step(boolean ok, String state) {
    }

    /** The register model: can {@code op} take effect on {@code state}, and what state follows. */
    private static Step step(String state, Operation op) {
        return switch (op.input()) {
            case Operation.Input.Read r -> new Step(op.output().map(o -> Objects.equals(o.value(), state)).orElse(true), state);
            case Operation.Input.Write w -> new Step(op.output().map(Operation.Output::ok).orElse(true), w.value());
            case Operation.Input.Cas c -> {
                boolean applies = Objects.equals(c.expected(), state);
                if (op.output().isEmpty()) {
                    yield new Step(true, applies ? c.value() : state);
                }
                yield new Step(op.output().get().ok() == applies, applies ? c.value() : state);
            }
        };
    }

    /** Builds the time-ordered event list; invocations sort before answers at the same time. */
    private static Event events(List<Operation> ops) {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Operation op = ops.get(i);
            Event call = new Event(i, true, op.invokeTime());
            Event ret = new Event(i, false, op.returnTime().orElse(Long.MAX_VALUE));
            call.match = ret;
            ret.match = call;
            events.add(call);
            events.add(ret);
        }
        events.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Boolean.compare(!a.call, !b.call));
        Event head = new Event(-1, false, Long.MIN_VALUE);
        Event last = head;
        for (Event e : events) {
            last.next = e;
            e.prev = last;
            last = e;
        }
        return head;
    }

    /** Removes an invocation and its answer from the list (the operation is linearized). */
    private static void lift(Event call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Event ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    /** Puts them back, in reverse order of removal. */
    private static void unlift(Event call) {
        Event ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
