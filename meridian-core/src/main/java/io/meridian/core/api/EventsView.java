package io.meridian.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.meridian.core.events.StoredEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/** The documents of {@code /v1/events}: appends, stream pages, {@code $all} pages, and the events in them. */
public final class EventsView {
    private EventsView() {
    }

    /**
     * One event as a region holds it: its version in its stream, its id, type, data and metadata,
     * the write that appended it (origin, HLC, time) and its position in this region's {@code $all}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EventView(String stream, long version, String id, String type, JsonNode data, JsonNode metadata,
                            String origin, String hlc, String time, long position) {
        public static EventView of(StoredEvent e) {
            return new EventView(e.stream(), e.version(), e.event().id(), e.event().type(), json(e.event().data()),
                    e.event().metadata().length == 0 ? null : json(e.event().metadata()), e.origin(), e.hlc().toString(),
                    Instant.ofEpochMilli(e.hlc().physicalMillis()).toString(), e.position());
        }

        private static JsonNode json(byte[] text) {
            try {
                return ApiJson.MAPPER.readTree(text);
            } catch (IOException e) {
                throw new UncheckedIOException("a stored event holds text that is not JSON", e);
            }
        }
    }

    /**
     * The answer to an append: the versions the events have, the write that carries them
     * ({@code origin:seq}), and whether they were already there (a retry: nothing appended).
     */
    public record AppendResult(String keyspace, String stream, String region, String home, long firstVersion,
                               long lastVersion, String version, boolean alreadyAppended) {
    }

    /** A page of one stream: {@code next} is the version to read from for more, null at the end. */
    public record StreamPage(String keyspace, String stream, String region, String home, long lastVersion, String direction,
                             List<EventView> events, Long next) {
    }

    /** A page of a keyspace's {@code $all} in the serving region: {@code next} is the position to read from for more. */
    public record AllPage(String keyspace, String region, long lastPosition, List<EventView> events, Long next) {
    }
}
