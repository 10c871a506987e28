package io.meridian.core.txn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.Keys;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a transaction body strictly: every member is known, every value has its type, each
 * compare and operation names exactly one kind. A refusal names the member by its path
 * ({@code then[1].add.delta}) and says what was expected.
 */
public final class TxnParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> COMPARES = Set.of("exists", "version", "value", "at_least", "at_most");
    private static final Set<String> OPS = Set.of("put", "delete", "add");

    private TxnParser() {
    }

    public static Txn parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            // A body past the parser's limits (nesting deeper than 1,000 levels, say) has no location.
            throw invalid("(body)", "not JSON: " + e.getOriginalMessage() + (e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            throw invalid("(body)", "unreadable: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid("(body)", "expected an object with \"if\", \"then\" and \"else\"");
        }
        onlyKnown(root, "", Set.of("if", "then", "else"));
        List<Txn.Compare> compares = new ArrayList<>();
        JsonNode ifs = list(root, "if");
        for (int i = 0; i < ifs.size(); i++) {
            compares.add(compare(ifs.get(i), "if[" + i + "]"));
        }
        List<Txn.Op> then = ops(list(root, "then"), "then");
        List<Txn.Op> otherwise = ops(list(root, "else"), "else");
        int items = compares.size() + then.size() + otherwise.size();
        if (items > Txn.MAX_ITEMS) {
            throw invalid("(body)", items + " compares and operations; at most " + Txn.MAX_ITEMS + " are accepted");
        }
        return new Txn(compares, then, otherwise);
    }

    private static JsonNode list(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return JSON.createArrayNode();
        }
        if (!node.isArray()) {
            throw invalid(field, "expected a list, got " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return node;
    }

    private static Txn.Compare compare(JsonNode node, String path) {
        if (!node.isObject()) {
            throw invalid(path, "expected an object such as {\"key\": \"alice\", \"at_least\": 30}");
        }
        onlyKnown(node, path, Set.of("key", "exists", "version", "value", "at_least", "at_most"));
        String key = key(node, path);
        String kind = exactlyOne(node, path, COMPARES);
        JsonNode v = node.get(kind);
        String at = path + "." + kind;
        return switch (kind) {
            case "exists" -> new Txn.Compare.Exists(key, bool(v, at));
            case "version" -> {
                long version = integer(v, at);
                if (version < 0) {
                    throw invalid(at, "expected a version of 0 or more, got " + version);
                }
                yield new Txn.Compare.Version(key, version);
            }
            case "value" -> new Txn.Compare.ValueEquals(key, text(v, at));
            case "at_least" -> new Txn.Compare.AtLeast(key, integer(v, at));
            default -> new Txn.Compare.AtMost(key, integer(v, at));
        };
    }

    private static List<Txn.Op> ops(JsonNode list, String field) {
        List<Txn.Op> ops = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String path = field + "[" + i + "]";
            JsonNode node = list.get(i);
            if (!node.isObject()) {
                throw invalid(path, "expected an object such as {\"put\": {\"key\": \"k\", \"value\": \"v\"}}");
            }
            onlyKnown(node, path, OPS);
            String kind = exactlyOne(node, path, OPS);
            String at = path + "." + kind;
            JsonNode body = node.get(kind);
            if (!body.isObject()) {
                throw invalid(at, "expected an object with \"key\"");
            }
            ops.add(switch (kind) {
                case "put" -> {
                    onlyKnown(body, at, Set.of("key", "value"));
                    yield new Txn.Op.Put(key(body, at), text(required(body, at, "value"), at + ".value"));
                }
                case "delete" -> {
                    onlyKnown(body, at, Set.of("key"));
                    yield new Txn.Op.Delete(key(body, at));
                }
                default -> {
                    onlyKnown(body, at, Set.of("key", "delta"));
                    yield new Txn.Op.Add(key(body, at), integer(required(body, at, "delta"), at + ".delta"));
                }
            });
        }
        return ops;
    }

    private static String key(JsonNode node, String path) {
        String key = text(required(node, path, "key"), path + ".key");
        try {
            Keys.validate(key);
        } catch (MeridianException e) {
            throw invalid(path + ".key", e.detail());
        }
        return key;
    }

    private static JsonNode required(JsonNode node, String path, String field) {
        JsonNode v = node.get(field);
        if (v == null) {
            throw invalid(path + "." + field, "missing");
        }
        return v;
    }

    private static String exactlyOne(JsonNode node, String path, Set<String> kinds) {
        List<String> present = kinds.stream().filter(node::has).sorted().toList();
        if (present.size() != 1) {
            throw invalid(path, (present.isEmpty() ? "names none" : "names " + present) + "; expected exactly one of "
                    + kinds.stream().sorted().toList());
        }
        return present.getFirst();
    }

    private static void onlyKnown(JsonNode node, String path, Set<String> known) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw invalid(path.isEmpty() ? name : path + "." + name, "unknown member; expected "
                        + known.stream().sorted().toList());
            }
        }
    }

    private static String text(JsonNode v, String path) {
        if (!v.isTextual()) {
            throw invalid(path, "expected a string, got " + v);
        }
        return v.asText();
    }

    private static long integer(JsonNode v, String path) {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw invalid(path, "expected an integer (64-bit), got " + v);
        }
        return v.asLong();
    }

    private static boolean bool(JsonNode v, String path) {
        if (!v.isBoolean()) {
            throw invalid(path, "expected true or false, got " + v);
        }
        return v.asBoolean();
    }

    private static MeridianException invalid(String path, String detail) {
        return new MeridianException(ProblemType.INVALID_TRANSACTION, path + ": " + detail, Map.of("member", path));
    }
}
