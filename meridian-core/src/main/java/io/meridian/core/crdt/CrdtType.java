package io.meridian.core.crdt;

/**
 * What a CRDT keyspace holds, from its {@code type} option: {@code counter}, {@code set},
 * {@code register} (last writer wins), {@code multi-value} (every concurrent value),
 * {@code sequence}, or {@code map<T>} of any of the first four or of another map
 * ({@code map<counter>} for carts, {@code map<register>} for settings).
 */
public sealed interface CrdtType {
    String NAMES = "counter, set, register, multi-value, sequence, map<counter|set|register|multi-value|map<...>>";

    String name();

    /** An empty store of this type. */
    DotStore empty();

    record Counter() implements CrdtType {
        public String name() {
            return "counter";
        }

        public DotStore empty() {
            return DotStore.Counter.EMPTY;
        }
    }

    record Set() implements CrdtType {
        public String name() {
            return "set";
        }

        public DotStore empty() {
            return DotStore.Elements.EMPTY;
        }
    }

    record Register() implements CrdtType {
        public String name() {
            return "register";
        }

        public DotStore empty() {
            return DotStore.Register.EMPTY;
        }
    }

    record MultiValue() implements CrdtType {
        public String name() {
            return "multi-value";
        }

        public DotStore empty() {
            return DotStore.Register.EMPTY;
        }
    }

    record Sequence() implements CrdtType {
        public String name() {
            return "sequence";
        }

        public DotStore empty() {
            return DotStore.Sequence.EMPTY;
        }
    }

    record Map(CrdtType values) implements CrdtType {
        public Map {
            if (values instanceof Sequence) {
                throw new IllegalArgumentException("a map's values cannot be sequences");
            }
        }

        public String name() {
            return "map<" + values.name() + ">";
        }

        public DotStore empty() {
            return DotStore.Fields.EMPTY;
        }
    }

    /** @throws IllegalArgumentException naming the types there are */
    static CrdtType parse(String text) {
        String t = text == null ? "" : text.strip();
        return switch (t) {
            case "counter" -> new Counter();
            case "set" -> new Set();
            case "register" -> new Register();
            case "multi-value" -> new MultiValue();
            case "sequence" -> new Sequence();
            default -> {
                if (t.startsWith("map<") && t.endsWith(">")) {
                    CrdtType inner = parse(t.substring(4, t.length() - 1));
                    if (inner instanceof Sequence) {
                        throw new IllegalArgumentException("type '" + text + "': a map's values cannot be sequences; types: " + NAMES);
                    }
                    yield new Map(inner);
                }
                throw new IllegalArgumentException("unknown CRDT type '" + text + "'; types: " + NAMES);
            }
        };
    }
}
