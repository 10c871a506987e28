package io.meridian.core.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.Locale;

/**
 * The JSON of every Meridian document: snake_case members and lower-case, hyphenated enum values
 * ({@code failed-over}). Readers ignore members they do not know, so a newer node's documents
 * still read in an older client.
 */
public final class ApiJson {
    /** Configured once; thread-safe for reading and writing. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .registerModule(new SimpleModule("meridian-enums").addSerializer(Enum.class, new EnumSerializer()))
            .registerModule(new SimpleModule("meridian-enum-reader") {
                @Override
                public void setupModule(SetupContext context) {
                    super.setupModule(context);
                    context.addDeserializers(new com.fasterxml.jackson.databind.deser.Deserializers.Base() {
                        @Override
                        public com.fasterxml.jackson.databind.JsonDeserializer<?> findEnumDeserializer(Class<?> type,
                                com.fasterxml.jackson.databind.DeserializationConfig config,
                                com.fasterxml.jackson.databind.BeanDescription beanDesc) {
                            return new EnumReader(type);
                        }
                    });
                }
            });

    private ApiJson() {
    }

    /** {@code value} as JSON bytes. */
    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** A document read as {@code type}. @throws IllegalArgumentException naming the type when it does not fit */
    public static <T> T read(byte[] json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a " + type.getSimpleName() + " document: " + e.getMessage(), e);
        }
    }

    /** The API's name of an enum value: {@code FAILED_OVER} is {@code failed-over}. */
    public static String name(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @SuppressWarnings("rawtypes")
    private static final class EnumSerializer extends StdSerializer<Enum> {
        EnumSerializer() {
            super(Enum.class);
        }

        @Override
        public void serialize(Enum value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(name(value));
        }
    }

    /** Reads {@code failed-over} (and {@code FAILED_OVER}) back into the enum value. */
    private static final class EnumReader extends com.fasterxml.jackson.databind.JsonDeserializer<Enum<?>> {
        private final Class<?> type;

        EnumReader(Class<?> type) {
            this.type = type;
        }

        @Override
        public Enum<?> deserialize(com.fasterxml.jackson.core.JsonParser p, com.fasterxml.jackson.databind.DeserializationContext ctxt)
                throws IOException {
            String text = p.getValueAsString();
            for (Object constant : type.getEnumConstants()) {
                Enum<?> e = (Enum<?>) constant;
                if (name(e).equals(text) || e.name().equals(text)) {
                    return e;
                }
            }
            return (Enum<?>) ctxt.handleWeirdStringValue(type, text, "not one of the values of %s", type.getSimpleName());
        }
    }
}
