package io.meridian.core.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * The built-in projection {@code merge}: each event's data is merged into the stream's state as
 * a JSON merge patch (RFC 7386): members of an object replace those of the state (recursively
 * for objects), a {@code null} member removes one, and data that is not an object replaces the
 * state whole.
 */
public final class MergeProjection implements Projection {
    public static final String NAME = "merge";

    @Override
    public JsonNode apply(JsonNode state, Event event) {
        return merge(state, event.data());
    }

    static JsonNode merge(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return patch == null || patch.isNull() ? target : patch.deepCopy();
        }
        ObjectNode out = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
                : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getValue().isNull()) {
                out.remove(f.getKey());
            } else {
                out.set(f.getKey(), merge(out.get(f.getKey()), f.getValue()));
            }
        }
        return out;
    }
}
