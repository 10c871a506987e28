package io.meridian.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.core.events.Projection;

/** A user projection for the tests: counts a stream's events by type. */
public class CountByType implements Projection {
    @Override
    public JsonNode apply(JsonNode state, Event event) {
        ObjectNode counts = state == null ? JsonNodeFactory.instance.objectNode() : ((ObjectNode) state).deepCopy();
        counts.put(event.type(), counts.path(event.type()).asLong() + 1);
        return counts;
    }
}

