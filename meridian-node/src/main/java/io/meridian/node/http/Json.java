package io.meridian.node.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The one JSON mapper of the HTTP API: snake_case members and lower-case, hyphenated enum values
 * ({@code failed-over}), as in every Meridian document.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .registerModule(new com.fasterxml.jackson.databind.module.SimpleModule("meridian-enums")
                    .addSerializer(Enum.class, new com.fasterxml.jackson.databind.ser.std.StdSerializer<Enum>(Enum.class) {
                        @Override
                        public void serialize(Enum value, com.fasterxml.jackson.core.JsonGenerator gen,
                                              com.fasterxml.jackson.databind.SerializerProvider provider) throws java.io.IOException {
                            gen.writeString(value.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
                        }
                    }));

    private Json() {
    }

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
