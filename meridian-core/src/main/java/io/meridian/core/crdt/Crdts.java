package io.meridian.core.crdt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.replication.Hlc;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Operations on CRDTs as delta mutators: given an object's state, an operation made in
 * {@code region} at {@code stamp} gives a small delta; the new state is the state joined with
 * the delta, and the delta is what travels to the other regions. Pure.
 */
public final class Crdts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Crdts() {
    }

    /**
     * The delta of {@code ops}, applied in order as one change.
     *
     * @throws CrdtException when an operation does not fit {@code type} or its arguments (nothing is applied)
     */
    public static CrdtState delta(CrdtType type, CrdtState state, List<CrdtOp> ops, String region, Hlc stamp) {
        CrdtState now = state;
        CrdtState delta = CrdtState.empty(type);
        for (CrdtOp op : ops) {
            CrdtState d = one(type, now, op, region, stamp);
            now = now.join(d);
            delta = delta.join(d);
        }
        return delta;
    }

    private static CrdtState one(CrdtType type, CrdtState s, CrdtOp op, String region, Hlc stamp) {
        return switch (type) {
            case CrdtType.Counter c -> op instanceof CrdtOp.Increment i ? increment(s, region, i.amount()) : refuse(type, op);
            case CrdtType.Set c -> switch (op) {
                case CrdtOp.Add a -> add(s, region, a.elements());
                case CrdtOp.Remove r -> remove(s, r.elements());
                default -> refuse(type, op);
            };
            case CrdtType.Register c -> op instanceof CrdtOp.Set set ? write(s, region, set.json(), stamp) : refuse(type, op);
            case CrdtType.MultiValue c -> op instanceof CrdtOp.Set set ? write(s, region, set.json(), stamp) : refuse(type, op);
            case CrdtType.Sequence c -> switch (op) {
                case CrdtOp.Insert i -> insert(s, region, i);
                case CrdtOp.Delete d -> deleteItem(s, d.id());
                default -> refuse(type, op);
            };
            case CrdtType.Map m -> switch (op) {
                case CrdtOp.Update u -> update(m, s, u, region, stamp);
                case CrdtOp.RemoveField r -> removeField(s, r.field());
                default -> refuse(type, op);
            };
        };
    }

    private static CrdtState refuse(CrdtType type, CrdtOp op) {
        String fits = switch (type) {
            case CrdtType.Counter c -> "increment (or decrement)";
            case CrdtType.Set c -> "add and remove";
            case CrdtType.Register c -> "set";
            case CrdtType.MultiValue c -> "set";
            case CrdtType.Sequence c -> "insert and delete";
            case CrdtType.Map m -> "update and remove_field";
        };
        throw new CrdtException("'" + op.name() + "' does not apply to a " + type.name() + "; a " + type.name() + " takes " + fits);
    }

    // ---- counter ----

    private static CrdtState increment(CrdtState s, String region, long amount) {
        DotStore.Counter c = (DotStore.Counter) s.store();
        Optional<Map.Entry<Dot, long[]>> mine = c.entries().entrySet().stream().filter(e -> e.getKey().region().equals(region))
                .max(Map.Entry.comparingByKey());
        long[] pn = mine.map(e -> e.getValue().clone()).orElse(new long[2]);
        BigInteger after = c.value().add(BigInteger.valueOf(amount));
        if (after.bitLength() > 63) {
            throw new CrdtException("incrementing by " + amount + " would take the counter to " + after
                    + ", outside the 64-bit range");
        }
        try {
            if (amount >= 0) {
                pn[0] = Math.addExact(pn[0], amount);
            } else {
                pn[1] = Math.addExact(pn[1], Math.negateExact(amount));
            }
        } catch (ArithmeticException e) {
            throw new CrdtException("this region's running total of " + (amount >= 0 ? "increments" : "decrements")
                    + " would leave the 64-bit range");
        }
        Dot next = s.context().next(region);
        Set<Dot> seen = new HashSet<>();
        seen.add(next);
        c.entries().keySet().stream().filter(d -> d.region().equals(region)).forEach(seen::add);
        return new CrdtState(new DotStore.Counter(Map.of(next, pn)), CausalContext.of(seen));
    }

    // ---- set ----

    private static CrdtState add(CrdtState s, String region, List<String> elements) {
        DotStore.Elements set = (DotStore.Elements) s.store();
        Map<String, Set<Dot>> added = new TreeMap<>();
        List<Dot> seen = new ArrayList<>();
        CausalContext ctx = s.context();
        for (String e : new java.util.LinkedHashSet<>(elements)) {
            Dot d = ctx.next(region);
            ctx = ctx.withAll(List.of(d));
            added.put(e, Set.of(d));
            seen.add(d);
            seen.addAll(set.elements().getOrDefault(e, Set.of())); // the add replaces the element's earlier dots
        }
        return new CrdtState(new DotStore.Elements(added), CausalContext.of(seen));
    }

    private static CrdtState remove(CrdtState s, List<String> elements) {
        DotStore.Elements set = (DotStore.Elements) s.store();
        List<Dot> seen = new ArrayList<>();
        elements.forEach(e -> seen.addAll(set.elements().getOrDefault(e, Set.of())));
        return new CrdtState(DotStore.Elements.EMPTY, CausalContext.of(seen));
    }

    // ---- registers ----

    private static CrdtState write(CrdtState s, String region, String json, Hlc stamp) {
        DotStore.Register r = (DotStore.Register) s.store();
        Dot d = s.context().next(region);
        Set<Dot> seen = new HashSet<>(r.values().keySet());
        seen.add(d);
        return new CrdtState(new DotStore.Register(Map.of(d, new DotStore.Written(json, stamp, region))), CausalContext.of(seen));
    }

    // ---- map ----

    private static CrdtState update(CrdtType.Map type, CrdtState s, CrdtOp.Update u, String region, Hlc stamp) {
        DotStore.Fields fields = (DotStore.Fields) s.store();
        Map<String, DotStore> changed = new TreeMap<>();
        CausalContext ctx = CausalContext.EMPTY;
        CausalContext running = s.context();
        for (Map.Entry<String, List<CrdtOp>> f : u.fields().entrySet()) {
            CrdtState field = new CrdtState(fields.fields().getOrDefault(f.getKey(), type.values().empty()), running);
            CrdtState d;
            try {
                d = delta(type.values(), field, f.getValue(), region, stamp);
            } catch (CrdtException e) {
                throw new CrdtException("field '" + f.getKey() + "': " + e.getMessage());
            }
            changed.put(f.getKey(), d.store());
            ctx = ctx.merge(d.context());
            running = running.merge(d.context());
        }
        return new CrdtState(new DotStore.Fields(changed), ctx);
    }

    private static CrdtState removeField(CrdtState s, String field) {
        DotStore.Fields fields = (DotStore.Fields) s.store();
        DotStore f = fields.fields().get(field);
        return new CrdtState(DotStore.Fields.EMPTY, f == null ? CausalContext.EMPTY : CausalContext.of(f.dots()));
    }

    // ---- sequence ----

    private static CrdtState insert(CrdtState s, String region, CrdtOp.Insert i) {
        DotStore.Sequence seq = (DotStore.Sequence) s.store();
        Dot after;
        if (i.after().isPresent()) {
            after = known(seq, i.after().get());
        } else {
            List<Dot> order = seq.order();
            if (i.before().isPresent()) {
                int at = order.indexOf(known(seq, i.before().get()));
                after = at == 0 ? null : order.get(at - 1);
            } else {
                after = order.isEmpty() ? null : order.getLast();
            }
        }
        Dot id = new Dot(region, seq.maxCounter() + 1);
        return new CrdtState(new DotStore.Sequence(Map.of(id, new DotStore.Sequence.Item(after, i.value())), Set.of()),
                CausalContext.EMPTY);
    }

    private static CrdtState deleteItem(CrdtState s, Dot id) {
        DotStore.Sequence seq = (DotStore.Sequence) s.store();
        Dot d = known(seq, id);
        return new CrdtState(new DotStore.Sequence(Map.of(d, seq.items().get(d)), Set.of(d)), CausalContext.EMPTY);
    }

    private static Dot known(DotStore.Sequence seq, Dot id) {
        if (!seq.items().containsKey(id)) {
            throw new CrdtException("no element " + id + " in this sequence (here, yet)");
        }
        return id;
    }

    // ---- values ----

    /**
     * The value as the API shows it: a counter as a number, a set as a sorted array, a register
     * as its value (null when never written), a multi-value register as an array of the
     * concurrent values, a map as an object, a sequence as an array of {@code {id, value}}.
     */
    public static Object value(CrdtType type, DotStore store) {
        return switch (type) {
            case CrdtType.Counter c -> ((DotStore.Counter) store).value();
            case CrdtType.Set c -> List.copyOf(((DotStore.Elements) store).elements().keySet());
            case CrdtType.Register c -> ((DotStore.Register) store).latest().map(w -> json(w.json())).orElse(null);
            case CrdtType.MultiValue c -> ((DotStore.Register) store).values().values().stream()
                    .sorted((a, b) -> a.after(b) ? 1 : b.after(a) ? -1 : 0).map(w -> json(w.json())).toList();
            case CrdtType.Sequence c -> {
                DotStore.Sequence seq = (DotStore.Sequence) store;
                List<Map<String, String>> items = new ArrayList<>();
                for (Dot d : seq.order()) {
                    if (!seq.deleted().contains(d)) {
                        Map<String, String> item = new LinkedHashMap<>();
                        item.put("id", d.toString());
                        item.put("value", seq.items().get(d).value());
                        items.add(item);
                    }
                }
                yield items;
            }
            case CrdtType.Map m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                ((DotStore.Fields) store).fields().forEach((f, v) -> out.put(f, value(m.values(), v)));
                yield out;
            }
        };
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a register holds text that is not JSON: " + text, e);
        }
    }
}
