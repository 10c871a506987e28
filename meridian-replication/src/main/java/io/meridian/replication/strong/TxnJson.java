package io.meridian.replication.strong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.core.txn.TxnEvaluator;

/** A transaction's reply in the API's JSON: {@code succeeded} and {@code results}, or {@code error} and {@code detail}. */
public final class TxnJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TxnJson() {
    }

    public static ObjectNode results(boolean succeeded, java.util.List<TxnEvaluator.Result> results) {
        ObjectNode out = JSON.createObjectNode();
        out.put("succeeded", succeeded);
        ArrayNode items = out.putArray("results");
        for (TxnEvaluator.Result r : results) {
            ObjectNode o = items.addObject();
            o.put("key", r.key());
            o.put("version", Long.toString(r.version()));
            if (r.value() == null) {
                o.putNull("value");
            } else {
                o.put("value", r.value());
            }
        }
        return out;
    }

    static String render(TxnCodec.Reply reply) {
        return switch (reply) {
            case TxnCodec.Reply.Committed c -> results(c.succeeded(), c.results()).toString();
            case TxnCodec.Reply.Failed f -> {
                ObjectNode out = JSON.createObjectNode();
                out.put("error", f.type().uri());
                out.put("detail", f.detail());
                f.extensions().forEach(out::put);
                yield out.toString();
            }
            case TxnCodec.Reply.Replayed r -> JSON.createObjectNode().put("replayed", true).toString();
        };
    }
}
