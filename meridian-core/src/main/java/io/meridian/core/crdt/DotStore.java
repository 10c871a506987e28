package io.meridian.core.crdt;

import io.meridian.core.replication.Hlc;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The contents of a CRDT, tagged with the dots that made them (delta-state CRDTs after Almeida,
 * Shoker and Baquero, "Delta state replicated data types", 2018). Joined together with their
 * causal contexts: what one side holds and the other has seen (its context covers the dot) but
 * does not hold was removed there, and stays removed; what one side holds that the other has not
 * seen is new, and stays. Joining is commutative, associative and idempotent, so replicas that
 * join the same deltas in any order, with duplicates, end equal.
 */
public sealed interface DotStore {

    /** Joins two stores of the same kind; {@code mine} and {@code theirs} are the two sides' contexts. */
    DotStore join(DotStore other, CausalContext mine, CausalContext theirs);

    boolean isEmpty();

    /** Every dot this store holds: what removing it all must cover. */
    Set<Dot> dots();

    /** The empty store of this kind. */
    DotStore empty();

    /** True when the context has seen none of {@code dots}: a side's contents it holds alone stay as they are. */
    private static boolean unseen(java.util.Collection<Dot> dots, CausalContext context) {
        for (Dot d : dots) {
            if (context.contains(d)) {
                return false;
            }
        }
        return true;
    }

    /** Keeps {@code d} from one side: held by both, or not yet seen by the other. */
    private static boolean keep(Dot d, boolean inOther, CausalContext otherContext) {
        return inOther || !otherContext.contains(d);
    }

    /**
     * A counter: each region's running increments and decrements under its latest dot (a region's
     * next change replaces its previous dot, so there is one entry per region that changed it).
     */
    record Counter(Map<Dot, long[]> entries) implements DotStore {
        public static final Counter EMPTY = new Counter(Map.of());

        public Counter {
            entries = java.util.Collections.unmodifiableMap(new TreeMap<>(entries));
        }

        @Override
        public DotStore join(DotStore other, CausalContext mine, CausalContext theirs) {
            Counter o = (Counter) other;
            if (o.entries.isEmpty() && unseen(entries.keySet(), theirs)) {
                return this;
            }
            if (entries.isEmpty() && unseen(o.entries.keySet(), mine)) {
                return o;
            }
            Map<Dot, long[]> out = new TreeMap<>();
            entries.forEach((d, v) -> {
                if (keep(d, o.entries.containsKey(d), theirs)) {
                    out.put(d, v);
                }
            });
            o.entries.forEach((d, v) -> {
                if (!out.containsKey(d) && keep(d, entries.containsKey(d), mine)) {
                    out.put(d, v);
                }
            });
            return new Counter(out);
        }

        /** The value: every increment minus every decrement, exactly (it may exceed 64 bits when regions add up concurrently). */
        public java.math.BigInteger value() {
            java.math.BigInteger sum = java.math.BigInteger.ZERO;
            for (long[] pn : entries.values()) {
                sum = sum.add(java.math.BigInteger.valueOf(pn[0])).subtract(java.math.BigInteger.valueOf(pn[1]));
            }
            return sum;
        }

        @Override
        public boolean isEmpty() {
            return entries.isEmpty();
        }

        @Override
        public Set<Dot> dots() {
            return entries.keySet();
        }

        @Override
        public DotStore empty() {
            return EMPTY;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Counter c) || !c.entries.keySet().equals(entries.keySet())) {
                return false;
            }
            return entries.entrySet().stream().allMatch(e -> java.util.Arrays.equals(e.getValue(), c.entries.get(e.getKey())));
        }

        @Override
        public int hashCode() {
            return entries.keySet().hashCode();
        }
    }

    /** An add-wins observed-remove set: each element with the dots of the adds that made it present. */
    record Elements(Map<String, Set<Dot>> elements) implements DotStore {
        public static final Elements EMPTY = new Elements(Map.of());

        /** Takes the map and its sets as they are: callers hand over fresh ones and never change them after. */
        public Elements {
            elements = java.util.Collections.unmodifiableSortedMap(elements instanceof TreeMap<String, Set<Dot>> t ? t
                    : new TreeMap<>(elements));
        }

        @Override
        public DotStore join(DotStore other, CausalContext mine, CausalContext theirs) {
            Elements o = (Elements) other;
            if (theirs.vector().isEmpty() && o.elements.size() < elements.size()) {
                return joinDelta(o, mine, theirs);
            }
            return joinAll(o, mine, theirs);
        }

        private DotStore joinAll(Elements o, CausalContext mine, CausalContext theirs) {
            Map<String, Set<Dot>> out = new TreeMap<>();
            Set<String> keys = new TreeSet<>(elements.keySet());
            keys.addAll(o.elements.keySet());
            for (String e : keys) {
                Set<Dot> a = elements.getOrDefault(e, Set.of());
                Set<Dot> b = o.elements.getOrDefault(e, Set.of());
                if (a.equals(b) || b.isEmpty() && unseen(a, theirs)) {
                    out.put(e, a); // the common cases: both sides agree, or only this side has it and the other never saw it
                    continue;
                }
                if (a.isEmpty() && unseen(b, mine)) {
                    out.put(e, b);
                    continue;
                }
                Set<Dot> kept = new TreeSet<>();
                a.forEach(d -> {
                    if (keep(d, b.contains(d), theirs)) {
                        kept.add(d);
                    }
                });
                b.forEach(d -> {
                    if (keep(d, a.contains(d), mine)) {
                        kept.add(d);
                    }
                });
                if (!kept.isEmpty()) {
                    out.put(e, kept);
                }
            }
            return new Elements(out);
        }

        /**
         * The same join when the other side is a delta (a few elements, a context of loose dots):
         * copy this side once, then change only the elements the delta holds or has seen.
         */
        private DotStore joinDelta(Elements o, CausalContext mine, CausalContext theirs) {
            TreeMap<String, Set<Dot>> out = new TreeMap<>((java.util.SortedMap<String, Set<Dot>>) elements);
            if (!theirs.cloud().isEmpty()) {
                for (Map.Entry<String, Set<Dot>> e : elements.entrySet()) {
                    if (!o.elements.containsKey(e.getKey()) && !unseen(e.getValue(), theirs)) {
                        Set<Dot> kept = new TreeSet<>();
                        e.getValue().forEach(d -> {
                            if (!theirs.contains(d)) {
                                kept.add(d);
                            }
                        });
                        if (kept.isEmpty()) {
                            out.remove(e.getKey());
                        } else {
                            out.put(e.getKey(), kept);
                        }
                    }
                }
            }
            o.elements.forEach((e, b) -> {
                Elements one = (Elements) new Elements(elementsOf(e, elements.get(e)))
                        .joinAll(new Elements(elementsOf(e, b)), mine, theirs);
                Set<Dot> joined = one.elements.get(e);
                if (joined == null) {
                    out.remove(e);
                } else {
                    out.put(e, joined);
                }
            });
            return new Elements(out);
        }

        private static TreeMap<String, Set<Dot>> elementsOf(String e, Set<Dot> dots) {
            TreeMap<String, Set<Dot>> m = new TreeMap<>();
            if (dots != null) {
                m.put(e, dots);
            }
            return m;
        }

        @Override
        public boolean isEmpty() {
            return elements.isEmpty();
        }

        @Override
        public Set<Dot> dots() {
            Set<Dot> all = new TreeSet<>();
            elements.values().forEach(all::addAll);
            return all;
        }

        @Override
        public DotStore empty() {
            return EMPTY;
        }
    }

    /** A value written at {@code stamp} (a hybrid logical clock) by {@code region}: JSON text. */
    record Written(String json, Hlc stamp, String region) {
        /** Last-writer-wins order: the later stamp, then the greater region name. */
        public boolean after(Written o) {
            return stamp.isAfter(o.stamp) || stamp.equals(o.stamp) && region.compareTo(o.region) > 0;
        }
    }

    /**
     * A register: every value written that no later write has seen. A write replaces every value
     * its region had seen, so values remain side by side only when they were written concurrently.
     */
    record Register(Map<Dot, Written> values) implements DotStore {
        public static final Register EMPTY = new Register(Map.of());

        public Register {
            values = java.util.Collections.unmodifiableMap(new TreeMap<>(values));
        }

        @Override
        public DotStore join(DotStore other, CausalContext mine, CausalContext theirs) {
            Register o = (Register) other;
            if (o.values.isEmpty() && unseen(values.keySet(), theirs)) {
                return this;
            }
            if (values.isEmpty() && unseen(o.values.keySet(), mine)) {
                return o;
            }
            Map<Dot, Written> out = new TreeMap<>();
            values.forEach((d, v) -> {
                if (keep(d, o.values.containsKey(d), theirs)) {
                    out.put(d, v);
                }
            });
            o.values.forEach((d, v) -> {
                if (!out.containsKey(d) && keep(d, values.containsKey(d), mine)) {
                    out.put(d, v);
                }
            });
            return new Register(out);
        }

        /** The last writer's value, if any was written. */
        public java.util.Optional<Written> latest() {
            return values.values().stream().reduce((a, b) -> a.after(b) ? a : b);
        }

        @Override
        public boolean isEmpty() {
            return values.isEmpty();
        }

        @Override
        public Set<Dot> dots() {
            return values.keySet();
        }

        @Override
        public DotStore empty() {
            return EMPTY;
        }
    }

    /**
     * An observed-remove map from field names to stores of one kind, all sharing the object's
     * causal context. A field exists while its store holds something: an update concurrent with a
     * remove of the field keeps the field (add wins) with what the update's side held.
     */
    record Fields(Map<String, DotStore> fields) implements DotStore {
        public static final Fields EMPTY = new Fields(Map.of());

        public Fields {
            fields = java.util.Collections.unmodifiableSortedMap(fields instanceof TreeMap<String, DotStore> t ? t
                    : new TreeMap<>(fields));
        }

        @Override
        public DotStore join(DotStore other, CausalContext mine, CausalContext theirs) {
            Fields o = (Fields) other;
            if (theirs.vector().isEmpty() && o.fields.size() < fields.size()) {
                // The other side is a delta: copy this side once, change only what the delta holds or has seen.
                TreeMap<String, DotStore> out = new TreeMap<>((java.util.SortedMap<String, DotStore>) fields);
                if (!theirs.cloud().isEmpty()) {
                    for (Map.Entry<String, DotStore> f : fields.entrySet()) {
                        if (!o.fields.containsKey(f.getKey()) && !unseen(f.getValue().dots(), theirs)) {
                            put(out, f.getKey(), f.getValue().join(f.getValue().empty(), mine, theirs));
                        }
                    }
                }
                o.fields.forEach((f, b) -> {
                    DotStore a = fields.get(f);
                    put(out, f, a == null ? b.empty().join(b, mine, theirs) : a.join(b, mine, theirs));
                });
                return new Fields(out);
            }
            Map<String, DotStore> out = new TreeMap<>();
            Set<String> keys = new TreeSet<>(fields.keySet());
            keys.addAll(o.fields.keySet());
            for (String f : keys) {
                DotStore a = fields.get(f);
                DotStore b = o.fields.get(f);
                DotStore joined;
                if (b == null && unseen(a.dots(), theirs)) {
                    joined = a; // only here, and the other side never saw it: unchanged
                } else if (a == null && unseen(b.dots(), mine)) {
                    joined = b;
                } else {
                    joined = a == null ? b.empty().join(b, mine, theirs) : a.join(b == null ? a.empty() : b, mine, theirs);
                }
                if (!joined.isEmpty()) {
                    out.put(f, joined);
                }
            }
            return new Fields(out);
        }

        private static void put(TreeMap<String, DotStore> out, String field, DotStore joined) {
            if (joined.isEmpty()) {
                out.remove(field);
            } else {
                out.put(field, joined);
            }
        }

        @Override
        public boolean isEmpty() {
            return fields.isEmpty();
        }

        @Override
        public Set<Dot> dots() {
            Set<Dot> all = new HashSet<>();
            fields.values().forEach(s -> all.addAll(s.dots()));
            return all;
        }

        @Override
        public DotStore empty() {
            return EMPTY;
        }
    }

    /**
     * A sequence (RGA, a replicated growable array): each element is inserted after another
     * (or at the start) with an id of a Lamport counter and its region; deleted elements stay as
     * tombstones, because later inserts may be positioned after them. Joining is the union.
     *
     * @param after   each element's predecessor at insertion; absent: the start
     * @param deleted the elements deleted
     */
    record Sequence(Map<Dot, Item> items, Set<Dot> deleted) implements DotStore {
        public static final Sequence EMPTY = new Sequence(Map.of(), Set.of());

        /** @param after the element it was inserted after, null for the start */
        public record Item(Dot after, String value) {
        }

        public Sequence {
            items = java.util.Collections.unmodifiableMap(new TreeMap<>(items));
            deleted = java.util.Collections.unmodifiableSet(new TreeSet<>(deleted));
        }

        @Override
        public DotStore join(DotStore other, CausalContext mine, CausalContext theirs) {
            Sequence o = (Sequence) other;
            Map<Dot, Item> all = new TreeMap<>(items);
            all.putAll(o.items);
            Set<Dot> gone = new TreeSet<>(deleted);
            gone.addAll(o.deleted);
            return new Sequence(all, gone);
        }

        /**
         * The elements in order, deleted ones included (ids and tombstones as they stand): a
         * depth-first walk from the start, the children of an element newest first. A run typed
         * by one region is one subtree, so two regions' concurrent runs never interleave.
         */
        public java.util.List<Dot> order() {
            Map<Dot, java.util.List<Dot>> children = new java.util.HashMap<>();
            Dot start = new Dot("", 1);
            for (Map.Entry<Dot, Item> e : items.entrySet()) {
                children.computeIfAbsent(e.getValue().after() == null ? start : e.getValue().after(), k -> new java.util.ArrayList<>())
                        .add(e.getKey());
            }
            java.util.List<Dot> out = new java.util.ArrayList<>();
            java.util.Deque<Dot> stack = new java.util.ArrayDeque<>();
            pushChildren(stack, children.get(start));
            while (!stack.isEmpty()) {
                Dot d = stack.pop();
                out.add(d);
                pushChildren(stack, children.get(d));
            }
            return out;
        }

        private static void pushChildren(java.util.Deque<Dot> stack, java.util.List<Dot> kids) {
            if (kids == null) {
                return;
            }
            java.util.List<Dot> sorted = new java.util.ArrayList<>(kids);
            sorted.sort(java.util.Comparator.naturalOrder()); // oldest first onto the stack: the newest is popped first
            sorted.forEach(stack::push);
        }

        /** The highest Lamport counter used: a new element's id is above it. */
        public long maxCounter() {
            return items.keySet().stream().mapToLong(Dot::counter).max().orElse(0);
        }

        @Override
        public boolean isEmpty() {
            return items.isEmpty();
        }

        @Override
        public Set<Dot> dots() {
            return Set.of(); // never removed from the context's point of view: deletes are tombstones
        }

        @Override
        public DotStore empty() {
            return EMPTY;
        }
    }
}
