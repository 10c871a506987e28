package io.meridian.core.events;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A request to append: {@code {"expected_version": n, "events": [{"id", "type", "data", "metadata"}]}}.
 *
 * <p>{@code expected_version}: {@link #ANY} ({@code -1}, or absent) appends whatever the stream holds;
 * {@code 0} only to a stream that does not exist yet; {@code n} only when the stream's last version
 * is {@code n}. Event ids are UUIDs (kept in lower case), unique within the request; the type is a
 * non-empty string; data is any JSON value (absent: {@code null}); metadata, when present, is an object.
 */
public record AppendRequest(long expectedVersion, List<Event> events) {
    public static final long ANY = -1;
    /** Types longer than this are refused: they are names, not payloads. */
    public static final int MAX_TYPE_CHARS = 256;
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Set<String> FIELDS = Set.of("expected_version", "events");
    private static final Set<String> EVENT_FIELDS = Set.of("id", "type", "data", "metadata");

    public AppendRequest {
        events = List.copyOf(events);
    }

    /**
     * @param maxEvents the most events one append may carry
     * @throws EventException saying what is wrong, for anything but a well-formed request
     */
    public static AppendRequest parse(JsonNode body, int maxEvents) {
        if (body == null || !body.isObject()) {
            throw new EventException("expected a JSON object {\"expected_version\": n, \"events\": [...]}");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                throw new EventException("unknown field '" + name + "'; expected expected_version and events");
            }
        }
        long expected = ANY;
        JsonNode ev = body.get("expected_version");
        if (ev != null && !ev.isNull()) {
            if (!ev.canConvertToLong() || !ev.isIntegralNumber() || ev.asLong() < ANY) {
                throw new EventException("expected_version must be -1 (any), 0 (no stream yet) or the stream's last version; got " + ev);
            }
            expected = ev.asLong();
        }
        JsonNode list = body.get("events");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new EventException("events must be a non-empty array of {\"id\": uuid, \"type\": ..., \"data\": ...}");
        }
        if (list.size() > maxEvents) {
            throw new EventException("an append carries at most " + maxEvents + " events; this one has " + list.size());
        }
        List<Event> events = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            Event e = event(list.get(i), i);
            if (!ids.add(e.id())) {
                throw new EventException("events[" + i + "]: id " + e.id() + " appears twice in this append");
            }
            events.add(e);
        }
        return new AppendRequest(expected, events);
    }

    private static Event event(JsonNode node, int i) {
        String at = "events[" + i + "]";
        if (!node.isObject()) {
            throw new EventException(at + " is not an object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!EVENT_FIELDS.contains(name)) {
                throw new EventException(at + ": unknown field '" + name + "'; expected id, type, data, metadata");
            }
        }
        JsonNode id = node.get("id");
        if (id == null || !id.isTextual() || !UUID.matcher(id.asText()).matches()) {
            throw new EventException(at + ".id must be a UUID (such as 0b6c0e1c-3f5e-4c1a-9d3e-2f1a7c9b8d01), chosen by the"
                    + " client so that a retry appends nothing twice; got " + (id == null ? "nothing" : id));
        }
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual() || type.asText().isBlank() || type.asText().length() > MAX_TYPE_CHARS) {
            throw new EventException(at + ".type must be a non-empty string of at most " + MAX_TYPE_CHARS + " characters; got "
                    + (type == null ? "nothing" : abbreviate(type.toString())));
        }
        JsonNode data = node.get("data");
        JsonNode metadata = node.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw new EventException(at + ".metadata must be an object; got " + abbreviate(metadata.toString()));
        }
        byte[] meta = metadata == null || metadata.isNull() ? new byte[0] : metadata.toString().getBytes(StandardCharsets.UTF_8);
        String dataText = data == null ? "null" : data.toString();
        return new Event(id.asText().toLowerCase(Locale.ROOT), type.asText(), dataText.getBytes(StandardCharsets.UTF_8), meta);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
