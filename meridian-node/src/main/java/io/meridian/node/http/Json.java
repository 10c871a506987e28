package io.meridian.node.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.api.ApiJson;

/** The HTTP API's JSON: {@link ApiJson}, the mapping every Meridian document shares. */
final class Json {
    static final ObjectMapper MAPPER = ApiJson.MAPPER;

    private Json() {
    }

    static byte[] bytes(Object value) {
        return ApiJson.bytes(value);
    }
}
