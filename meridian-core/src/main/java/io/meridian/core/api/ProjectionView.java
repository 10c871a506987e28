package io.meridian.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A projection as one region runs it: the generation reads are served from, the {@code $all}
 * position it has folded up to, the keyspace's last position here and the difference (its lag,
 * in events); while a rebuild runs, the generation being built and its position; the last error
 * of the projection's class, if it failed (the projection then stays at the event that failed,
 * and tries again).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectionView(String name, String keyspace, String projectionClass, long generation, long position,
                             long lastPosition, long lag, Long rebuildingGeneration, Long rebuildingPosition, String error) {

    /** {@code GET /v1/projections/{name}/{stream}}: one stream's state, the version it reached, and the region's lag. */
    public record StreamState(String projection, String stream, String region, long version, JsonNode state, long generation,
                              long lag) {
    }

    /** {@code GET /v1/events/{ks}/{stream}/state}: a stream's state as of a version (or the last version at a time). */
    public record AsOf(String projection, String stream, String region, long version, String time, JsonNode state,
                       long replayedEvents, Long fromSnapshot) {
    }
}
