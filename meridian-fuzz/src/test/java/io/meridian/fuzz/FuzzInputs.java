package io.meridian.fuzz;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;

/** What fuzz targets share: a request body as the node reads it. */
public final class FuzzInputs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FuzzInputs() {
    }

    /** The body as JSON, as a node's handler parses it; empty when it is not JSON (the node answers 400 before any parser of ours). */
    public static Optional<JsonNode> json(String body) {
        try {
            return Optional.ofNullable(JSON.readTree(body));
        } catch (JacksonException notJson) {
            return Optional.empty();
        }
    }
}
