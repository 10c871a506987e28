package io.meridian.node.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.meridian.core.Keys;
import io.meridian.core.MeridianException;
import io.meridian.core.Preconditions;
import io.meridian.core.ProblemType;
import io.meridian.core.Versions;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.storage.StoredValue;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What every keyspace engine reads from a request and writes into an answer the same way:
 * query parameters, preconditions, content types, scan limits, and the shapes of write results
 * and scan pages.
 */
public final class Requests {
    static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
    static final int SCAN_LIMIT_DEFAULT = 100;
    static final int SCAN_LIMIT_MAX = 1000;
    private static final Pattern MEDIA_TYPE =
            Pattern.compile("[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\\s*;\\s*[^;\\s]+=[^;]*)*\\s*");

    private Requests() {
    }

    /**
     * The keyspace named in a URL, checked against the configuration and its residency in
     * {@code region}. Outside its residency the request is refused, or, for a keyspace declared
     * {@code outside-residency: redirect}, redirected to the region {@code nearest} picks among its
     * residency (never forwarded: its keys and values must not pass through this region).
     */
    static KeyspaceConfig keyspace(MeridianConfig config, String region, String name, Exchange ex,
                                   java.util.function.Function<List<String>, String> nearest) {
        KeyspaceConfig keyspace = config.keyspace(name).orElseThrow(() -> new MeridianException(
                ProblemType.UNKNOWN_KEYSPACE,
                "keyspace '" + name + "' does not exist; keyspaces: " + String.join(", ",
                        config.keyspaces().stream().map(KeyspaceConfig::name).toList()),
                Map.of("keyspace", name)));
        if (!keyspace.mayLiveIn(region) && keyspace.redirectOutsideResidency()) {
            String target = nearest.apply(config.dataRegionNames().stream().filter(keyspace::mayLiveIn).toList());
            io.meridian.core.config.HostPort http = config.region(target).orElseThrow().http();
            String location = config.url(http) + ex.rawPath()
                    + (ex.rawQuery() == null || ex.rawQuery().isEmpty() ? "" : "?" + ex.rawQuery());
            throw new MeridianException(ProblemType.RESIDENCY_REDIRECT, "keyspace '" + name + "' may only live in "
                    + keyspace.residency() + "; this is " + region + ": ask " + target + " at " + location,
                    Map.of("keyspace", name, "residency", keyspace.residency(), "region_to_ask", target, "location", location));
        }
        if (!keyspace.mayLiveIn(region)) {
            throw new MeridianException(ProblemType.OUTSIDE_RESIDENCY,
                    "keyspace '" + name + "' may only live in " + keyspace.residency() + "; this is " + region,
                    Map.of("keyspace", name, "residency", keyspace.residency()));
        }
        return keyspace;
    }

    /** Refuses a query parameter outside {@code allowed}, naming the ones allowed. */
    public static void checkParameters(Map<String, String> query, java.util.Set<String> allowed) {
        for (String name : query.keySet()) {
            if (!allowed.contains(name)) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER, "unknown query parameter '" + name + "'; expected "
                        + String.join(", ", allowed.stream().sorted().toList()), Map.of("parameter", name));
            }
        }
    }

    /** A whole-number query parameter of at least {@code min}, if given. */
    public static java.util.Optional<Long> number(Map<String, String> query, String name, long min) {
        String text = query.get(name);
        if (text == null) {
            return java.util.Optional.empty();
        }
        try {
            long v = Long.parseLong(text);
            if (v >= min) {
                return java.util.Optional.of(v);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MeridianException(ProblemType.INVALID_PARAMETER, name + " '" + text + "' is not a whole number of at least "
                + min, Map.of("parameter", name, "value", text));
    }

    public static void checkScanParameters(Map<String, String> query) {
        for (String name : query.keySet()) {
            if (!List.of("prefix", "limit", "after").contains(name)) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER,
                        "unknown query parameter '" + name + "'; expected prefix, limit or after",
                        Map.of("parameter", name));
            }
        }
    }

    public static int limit(String text) {
        if (text == null) {
            return SCAN_LIMIT_DEFAULT;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= SCAN_LIMIT_MAX) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MeridianException(ProblemType.INVALID_PARAMETER,
                "limit '" + text + "' is not a whole number from 1 to " + SCAN_LIMIT_MAX,
                Map.of("parameter", "limit", "value", text));
    }

    public static ScanItem item(StoredValue v) {
        return item(Keys.fromBytes(v.key()), Long.toString(v.version()), v.contentType(), v.value());
    }

    /** A value as JSON: its text when it is UTF-8, else base64. */
    public static ScanItem item(String key, String version, String contentType, byte[] value) {
        Optional<String> text = utf8(value);
        return new ScanItem(key, version, contentType, text.orElse(null),
                text.isPresent() ? null : Base64.getEncoder().encodeToString(value), null);
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    public static String contentType(Exchange ex) {
        String type = ex.header("Content-Type");
        if (type == null || type.isBlank()) {
            return DEFAULT_CONTENT_TYPE;
        }
        if (!MEDIA_TYPE.matcher(type).matches()) {
            throw new MeridianException(ProblemType.MALFORMED_HEADER,
                    "Content-Type: '" + type + "' is not a media type; expected type/subtype such as text/plain",
                    Map.of("header", "Content-Type", "value", type));
        }
        return type.strip();
    }

    public static Preconditions preconditions(Exchange ex) {
        String ifMatch = ex.header("If-Match");
        String ifNoneMatch = ex.header("If-None-Match");
        return new Preconditions(
                ifMatch == null ? null : Versions.parseCondition("If-Match", ifMatch),
                ifNoneMatch == null ? null : Versions.parseCondition("If-None-Match", ifNoneMatch));
    }

    /**
     * The request's idempotency key ({@code Idempotency-Key}) with the fingerprint of what it asks
     * for, the keyspace, {@code parts} (operation, key...) and {@code body}; {@link Idempotency#NONE}
     * when it sent none.
     */
    public static io.meridian.core.Idempotency idempotency(Exchange ex, String keyspace, byte[] body, String... parts) {
        java.util.Optional<String> key = io.meridian.core.Idempotency.parse(ex.header(io.meridian.core.Idempotency.HEADER));
        if (key.isEmpty()) {
            return io.meridian.core.Idempotency.NONE;
        }
        String[] all = new String[parts.length + 1];
        all[0] = keyspace;
        System.arraycopy(parts, 0, all, 1, parts.length);
        return new io.meridian.core.Idempotency(key.get(), io.meridian.core.Idempotency.fingerprint(body, all), false);
    }

    /** Marks an answer as the repetition of an earlier one, for a retried request. */
    public static void replayed(Exchange ex) {
        ex.header(io.meridian.core.Idempotency.REPLAYED, "true");
    }

    public static MeridianException notFound(KeyspaceConfig keyspace, String key) {
        return new MeridianException(ProblemType.KEY_NOT_FOUND,
                "key '" + key + "' does not exist in keyspace '" + keyspace.name() + "'",
                Map.of("keyspace", keyspace.name(), "key", key));
    }

    public static String httpDate(long millis) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(millis).atZone(ZoneOffset.UTC));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record WriteResult(String keyspace, String key, String version, String region, String home) {
    }

    /** A scanned value: {@code value} holds UTF-8 text, {@code value_base64} anything else; {@code home} for home-region keys. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ScanItem(String key, String version, String contentType, String value, String valueBase64, String home) {
        public ScanItem withHome(String newHome) {
            return new ScanItem(key, version, contentType, value, valueBase64, newHome == null || newHome.isEmpty() ? null : newHome);
        }
    }

    public record ScanResult(String keyspace, String region, List<ScanItem> items, String next) {
    }

    static Map<String, String> parseQuery(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                query.put(Keys.decodePathSegment(name), Keys.decodePathSegment(value));
            } catch (MeridianException e) {
                throw new MeridianException(ProblemType.INVALID_PARAMETER,
                        "query parameter '" + name + "': " + e.detail(), Map.of("parameter", name));
            }
        }
        return query;
    }
}
