package io.meridian.core;

/**
 * The stable list of errors Meridian reports to clients, rendered as RFC 9457
 * {@code application/problem+json}. The {@link #uri()} never changes once published:
 * clients branch on it. Titles are for humans.
 */
public enum ProblemType {
    MALFORMED_REQUEST(400, "malformed-request", "The request is malformed"),
    INVALID_KEY(400, "invalid-key", "The key is not valid"),
    INVALID_PARAMETER(400, "invalid-parameter", "A query parameter is not valid"),
    UNKNOWN_REGION(400, "unknown-region", "The region does not exist"),
    INVALID_TRANSACTION(400, "invalid-transaction", "The transaction body is not valid"),
    INVALID_OPERATION(400, "invalid-operation", "The CRDT operation is malformed or does not fit the keyspace's type"),
    INVALID_EVENTS(400, "invalid-events", "The events to append are malformed; nothing was appended"),
    MALFORMED_HEADER(400, "malformed-header", "A header value is malformed"),
    NOT_FOUND(404, "not-found", "No such resource"),
    UNKNOWN_KEYSPACE(404, "unknown-keyspace", "The keyspace does not exist"),
    KEY_NOT_FOUND(404, "key-not-found", "The key does not exist"),
    UNKNOWN_PROJECTION(404, "unknown-projection", "The projection does not exist"),
    STREAM_NOT_FOUND(404, "stream-not-found", "The stream does not exist"),
    /** A peer region's build speaks a protocol this one does not ({@link Protocol}). */
    INCOMPATIBLE_PROTOCOL(409, "incompatible-protocol", "The region's build cannot work with the requester's"),
    OUTSIDE_RESIDENCY(403, "outside-residency", "The keyspace's data may not live in this region"),
    /** Not an error: the answer of a region outside a residency declared {@code outside-residency: redirect}, with a Location. */
    RESIDENCY_REDIRECT(307, "residency-redirect", "The keyspace's data lives in another region: ask there"),
    /** With {@code auth.tokens: required}: no credentials, or a token that is unknown, revoked or expired. Carries WWW-Authenticate. */
    UNAUTHENTICATED(401, "unauthenticated", "The request needs a valid access token"),
    /** The caller is known, and its token's scopes do not grant what the request needs. */
    FORBIDDEN(403, "forbidden", "The access token does not allow this"),
    UNKNOWN_TOKEN(404, "unknown-token", "No such access token"),
    TOKEN_REFUSED(409, "token-refused", "The control plane refused the token command"),
    /** With TLS: a request that speaks for a region (Meridian-Region, Meridian-Forwarded-By) without that region's certificate. */
    PEER_NOT_AUTHENTICATED(403, "peer-not-authenticated", "Only a region's own certificate may speak for it"),
    CROSS_ORIGIN(403, "cross-origin", "A web page of another origin may not change anything here"),
    METHOD_NOT_ALLOWED(405, "method-not-allowed", "The method is not allowed on this resource"),
    HOME_CONFLICT(409, "home-conflict", "The key already has another home region"),
    WRONG_POLICY(409, "wrong-policy", "The operation does not apply to the keyspace's policy"),
    NOT_AN_INTEGER(409, "not-an-integer", "An add met a value that is not an integer"),
    WRONG_EXPECTED_VERSION(409, "wrong-expected-version", "The stream's last version is not the one the append expected; nothing was appended"),
    DUPLICATE_EVENT(409, "duplicate-event", "Some events of the append are already in the stream and others are not; nothing was appended"),
    FEED_POSITION_EXPIRED(410, "feed-position-expired", "The change feed no longer keeps that position"),
    IDEMPOTENCY_KEY_REUSED(422, "idempotency-key-reused", "The Idempotency-Key was sent before with another request"),
    PRECONDITION_FAILED(412, "precondition-failed", "A condition of the request does not hold"),
    VALUE_TOO_LARGE(413, "value-too-large", "The value is larger than the keyspace allows"),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "The body is not of a type this keyspace stores"),
    URI_TOO_LONG(414, "uri-too-long", "The request URI is too long"),
    HEADERS_TOO_LARGE(431, "headers-too-large", "The request headers are too large"),
    HTTP_VERSION_NOT_SUPPORTED(505, "http-version-not-supported", "The HTTP version is not supported"),
    TOO_MANY_SUBSCRIPTIONS(503, "too-many-subscriptions", "The region serves as many subscriptions as it can now"),
    NOT_IMPLEMENTED(501, "not-implemented", "This feature is not implemented yet"),
    UNAVAILABLE(503, "unavailable", "The region cannot serve this request now"),
    NOT_OWNER(503, "not-owner", "This region may not write these keys now (its write lease lapsed, or a failover is in progress)"),
    RPO_BUDGET_EXCEEDED(503, "rpo-budget-exceeded", "No other region holds this region's recent writes of this keyspace, and its"
            + " RPO budget allows no more"),
    STALE_EPOCH(503, "stale-epoch", "The request was routed under another failover epoch"),
    NO_DECISION(404, "no-decision", "No such failover decision"),
    WITNESS(421, "witness-holds-no-data", "This region is a witness: it votes and watches, and holds no data"),
    DECISION_REFUSED(409, "decision-refused", "The control plane refused the failover command"),
    INTERNAL(500, "internal", "Internal error");

    private static final String PREFIX = "urn:meridian:problem:";

    private final int status;
    private final String slug;
    private final String title;

    ProblemType(int status, String slug, String title) {
        this.status = status;
        this.slug = slug;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    /** The RFC 9457 {@code type} member, e.g. {@code urn:meridian:problem:unknown-keyspace}. */
    public String uri() {
        return PREFIX + slug;
    }

    /** The type named by a problem's {@code type} member, or {@link #INTERNAL} for one this version does not know. */
    public static ProblemType fromUri(String uri) {
        for (ProblemType t : values()) {
            if (t.uri().equals(uri)) {
                return t;
            }
        }
        return INTERNAL;
    }
}
