package io.meridian.core.events;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Folds a stream's events into its state, the read model of one stream. Every region runs every
 * projection over the events it holds, each stream's events in version order, and can rebuild it
 * from zero by replay; so {@code apply} must be deterministic and free of side effects: the same
 * state and event give the same result, in any region, at any time.
 *
 * <p>A user projection is a public class with a public no-argument constructor, named in the
 * keyspace's configuration ({@code projections: [{name: ..., class: com.example.Totals}]}) and put
 * on the node's class path, as resolver classes are. The built-in {@code merge} is {@link MergeProjection}.
 */
public interface Projection {

    /** One event as a projection sees it: its data and metadata as JSON (metadata null when none), its append time. */
    record Event(String stream, long version, String type, JsonNode data, JsonNode metadata, long timeMillis) {
    }

    /**
     * @param state the stream's state before {@code event}: null before its first event
     * @return the state after it (null: the stream has no state)
     */
    JsonNode apply(JsonNode state, Event event);
}
