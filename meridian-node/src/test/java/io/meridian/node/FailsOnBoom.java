package io.meridian.node;

import com.fasterxml.jackson.databind.JsonNode;

/** A user projection for the tests: counts events by type, but cannot fold an event of type "Boom". */
public final class FailsOnBoom extends CountByType {
    @Override
    public JsonNode apply(JsonNode state, Event event) {
        if (event.type().equals("Boom")) {
            throw new IllegalStateException("cannot fold a Boom (version " + event.version() + " of " + event.stream() + ")");
        }
        return super.apply(state, event);
    }
}
