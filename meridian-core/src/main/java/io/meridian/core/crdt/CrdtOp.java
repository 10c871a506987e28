package io.meridian.core.crdt;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One operation on a CRDT, as the API's JSON names it: {@code {"increment": 5}},
 * {@code {"add": ["a"]}}, {@code {"remove": ["a"]}}, {@code {"set": <any JSON>}},
 * {@code {"update": {"field": <operation>}}}, {@code {"remove_field": "f"}},
 * {@code {"insert": {"after": ID, "value": "x"}}} (or {@code "before"}; neither: at the end),
 * {@code {"delete": ID}}.
 */
public sealed interface CrdtOp {
    /** The name the API gives it. */
    String name();

    record Increment(long amount) implements CrdtOp {
        public String name() {
            return "increment";
        }
    }

    record Add(List<String> elements) implements CrdtOp {
        public String name() {
            return "add";
        }
    }

    record Remove(List<String> elements) implements CrdtOp {
        public String name() {
            return "remove";
        }
    }

    /** @param json the value as JSON text */
    record Set(String json) implements CrdtOp {
        public String name() {
            return "set";
        }
    }

    /** Operations on fields of a map, each field's in order. */
    record Update(Map<String, List<CrdtOp>> fields) implements CrdtOp {
        public String name() {
            return "update";
        }
    }

    record RemoveField(String field) implements CrdtOp {
        public String name() {
            return "remove_field";
        }
    }

    record Insert(Optional<Dot> after, Optional<Dot> before, String value) implements CrdtOp {
        public String name() {
            return "insert";
        }
    }

    record Delete(Dot id) implements CrdtOp {
        public String name() {
            return "delete";
        }
    }

    /** Longest element, field name or sequence value accepted, in characters. */
    int MAX_NAME = 1_024;

    /**
     * The operations of a request body: an object (its members are operations, applied in
     * order) or an array of such objects.
     *
     * @throws CrdtException saying what is wrong
     */
    static List<CrdtOp> parse(JsonNode body) {
        List<CrdtOp> ops = new ArrayList<>();
        if (body == null || !(body.isObject() || body.isArray())) {
            throw new CrdtException("the body must be a JSON object of operations, or an array of them, such as"
                    + " {\"increment\": 1} or [{\"add\": [\"a\"]}, {\"remove\": [\"b\"]}]");
        }
        if (body.isArray()) {
            for (JsonNode o : body) {
                if (!o.isObject()) {
                    throw new CrdtException("each item of the array must be an object of operations, not " + o);
                }
                ops.addAll(parseObject(o));
            }
        } else {
            ops.addAll(parseObject(body));
        }
        if (ops.isEmpty()) {
            throw new CrdtException("the body names no operation");
        }
        return ops;
    }

    private static List<CrdtOp> parseObject(JsonNode o) {
        List<CrdtOp> ops = new ArrayList<>();
        for (Map.Entry<String, JsonNode> m : o.properties()) {
            ops.add(parseOne(m.getKey(), m.getValue()));
        }
        return ops;
    }

    private static CrdtOp parseOne(String name, JsonNode v) {
        return switch (name) {
            case "increment", "decrement" -> {
                if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                    throw new CrdtException("'" + name + "' takes a whole number between -2^63 and 2^63-1, not " + v);
                }
                long amount = v.asLong();
                if (name.equals("decrement")) {
                    if (amount == Long.MIN_VALUE) {
                        throw new CrdtException("'decrement' by " + v + " is out of range");
                    }
                    amount = -amount;
                }
                yield new Increment(amount);
            }
            case "add" -> new Add(strings(name, v));
            case "remove" -> new Remove(strings(name, v));
            case "set" -> new Set(v.toString());
            case "update" -> {
                if (!v.isObject() || v.isEmpty()) {
                    throw new CrdtException("'update' takes an object of fields and their operations, such as"
                            + " {\"update\": {\"apples\": {\"increment\": 2}}}");
                }
                Map<String, List<CrdtOp>> fields = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> f : v.properties()) {
                    name(f.getKey(), "field");
                    if (!f.getValue().isObject()) {
                        throw new CrdtException("the operation on field '" + f.getKey() + "' must be an object, not " + f.getValue());
                    }
                    fields.put(f.getKey(), parseObject(f.getValue()));
                }
                yield new Update(fields);
            }
            case "remove_field" -> {
                if (!v.isTextual()) {
                    throw new CrdtException("'remove_field' takes a field name, not " + v);
                }
                yield new RemoveField(name(v.asText(), "field"));
            }
            case "insert" -> {
                if (!v.isObject() || !v.has("value")) {
                    throw new CrdtException("'insert' takes {\"value\": ..., \"after\": ID} (or \"before\": ID; neither: at the end)");
                }
                if (v.has("after") && v.has("before")) {
                    throw new CrdtException("'insert' takes \"after\" or \"before\", not both");
                }
                JsonNode value = v.get("value");
                if (!value.isTextual() || value.asText().length() > MAX_NAME) {
                    throw new CrdtException("an inserted value is a string of at most " + MAX_NAME + " characters, not " + abbreviate(value));
                }
                yield new Insert(optionalId(v, "after"), optionalId(v, "before"), value.asText());
            }
            case "delete" -> new Delete(id(v));
            default -> throw new CrdtException("unknown operation '" + name + "'; operations: increment, decrement, add, remove,"
                    + " set, update, remove_field, insert, delete");
        };
    }

    private static Optional<Dot> optionalId(JsonNode v, String member) {
        return v.has(member) ? Optional.of(id(v.get(member))) : Optional.empty();
    }

    private static Dot id(JsonNode v) {
        if (!v.isTextual()) {
            throw new CrdtException("an element id is a string (region:number), not " + v);
        }
        try {
            return Dot.parse(v.asText());
        } catch (IllegalArgumentException e) {
            throw new CrdtException(e.getMessage());
        }
    }

    private static List<String> strings(String op, JsonNode v) {
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(name(v.asText(), "element"));
        } else if (v.isArray() && !v.isEmpty()) {
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw new CrdtException("'" + op + "' takes strings, not " + e);
                }
                out.add(name(e.asText(), "element"));
            }
        } else {
            throw new CrdtException("'" + op + "' takes a string or a non-empty array of strings, not " + abbreviate(v));
        }
        return out;
    }

    private static String name(String s, String what) {
        if (s.isEmpty() || s.length() > MAX_NAME) {
            throw new CrdtException("a " + what + " name is 1 to " + MAX_NAME + " characters long, not " + s.length());
        }
        return s;
    }

    private static String abbreviate(JsonNode v) {
        String s = v.toString();
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
