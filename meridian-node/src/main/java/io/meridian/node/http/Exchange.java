package io.meridian.node.http;

import io.meridian.core.Headers;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One HTTP request and its response, the only place that touches Jetty's request types. It
 * answers exactly once; every response names the serving region.
 */
public final class Exchange {
    public static final String PROBLEM_JSON = "application/problem+json";
    public static final String JSON = "application/json";

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final String region;
    private int status;
    /** The request's server span (invalid when not traced). */
    private io.opentelemetry.api.trace.Span span = io.opentelemetry.api.trace.Span.getInvalid();
    private Runnable afterAnswer;
    /** Runs once with the status, as the answer's last bytes go to the connection ({@link #whenAnswered}). */
    private java.util.function.IntConsumer whenAnswered;
    /** Set once the answer is left to a pending result ({@link #answerWhen}); then {@link #finisher} ends the exchange. */
    private boolean deferred;
    private java.util.function.Consumer<Throwable> finisher;
    /** Whether the request's body has been read to its end (by {@link #body} or {@link #settleBody}). */
    private boolean bodyRead;
    private long bytesIn;
    private long bytesOut;
    /** Where a request to a replicated keyspace ran, and whose key it was ({@link #routed}); null until routed. */
    private String ranIn;
    /** Who is calling, once {@link Access} knew them (null while tokens are not required). */
    private io.meridian.core.auth.Authority.Caller caller;
    private String owner = "";

    /**
     * A request body no handler read is read and dropped before the answer when it declares at
     * most this many bytes, so the connection stays usable; a larger or chunked one is not read,
     * and the answer says {@code Connection: close} instead. Without either, Jetty closed such a
     * connection silently after the answer, and a client that had sent its next request on it got
     * no answer at all (found by the HTTP fuzz test).
     */
    static final long DRAIN_LIMIT = 4L << 20;

    Exchange(Request request, Response response, Callback callback, String region) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.region = region;
    }

    /**
     * Runs {@code action} once the answer has been written to the client's connection (not if
     * writing it fails). Engines record there that a write was acknowledged.
     */
    public void afterAnswer(Runnable action) {
        Runnable before = afterAnswer;
        afterAnswer = before == null ? action : () -> {
            before.run();
            action.run();
        };
    }

    /**
     * Answers once {@code result} completes, without holding the request's thread meanwhile: the
     * handler returns at once, {@code answer} sends the result from whichever thread completes it,
     * and a failure (of the result or of {@code answer}) is answered as a failure thrown by the
     * handler would have been. Engines use it where a request waits for work done in groups by
     * another thread, such as a local write waiting for its group's fsync.
     */
    public <T> void answerWhen(java.util.concurrent.CompletionStage<T> result, java.util.function.Consumer<T> answer) {
        deferred = true;
        result.whenComplete((value, failure) -> {
            Throwable outcome = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : failure;
            if (outcome == null) {
                try {
                    answer.accept(value);
                } catch (Throwable e) {
                    outcome = e;
                }
            }
            try {
                finisher.accept(outcome);
            } catch (Throwable e) { // no handler is left to hear it: end the exchange rather than leave it open
                org.slf4j.LoggerFactory.getLogger(Exchange.class).error("ending {} {} failed", method(), rawPath(), e);
                callback.failed(e);
            }
        });
    }

    /** True when the answer was left to a pending result: the handler's return does not end the exchange. */
    boolean deferred() {
        return deferred;
    }

    /** What ends a deferred exchange, given the failure to answer (or null when answered). */
    void onDeferredEnd(java.util.function.Consumer<Throwable> finisher) {
        this.finisher = finisher;
    }

    /**
     * Runs {@code action} once, with the answer's status, just before the answer's last bytes are
     * handed to the connection, or at {@link #answered} when the exchange ends without them. The
     * request metrics are recorded there: a client that has its answer and then scrapes
     * {@code /metrics} finds its request counted (recorded after the write, it raced the scrape).
     */
    void whenAnswered(java.util.function.IntConsumer action) {
        whenAnswered = action;
    }

    /** Runs the {@link #whenAnswered} action with {@code status} unless it has run already. */
    void answered(int status) {
        java.util.function.IntConsumer action = whenAnswered;
        whenAnswered = null;
        if (action != null) {
            try {
                action.accept(status);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Exchange.class).warn("recording {} {}: {}", method(), rawPath(), e.toString());
            }
        }
    }

    /** The request's completion, with what must run after a successful answer. */
    private Callback done() {
        answered(status);
        Runnable action = afterAnswer;
        if (action == null) {
            return callback;
        }
        afterAnswer = null;
        return new Callback() {
            @Override
            public void succeeded() {
                try {
                    action.run();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(Exchange.class).warn("after answering: {}", e.toString());
                }
                callback.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                callback.failed(x);
            }
        };
    }

    public String method() {
        return request.getMethod();
    }

    /** The region serving this request. */
    public String region() {
        return region;
    }

    /** The path as sent, still percent-encoded. */
    public String rawPath() {
        return request.getHttpURI().getPath();
    }

    /** The query string as sent, or null. */
    public String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /**
     * The authority the client addressed ({@code host:port}, the port left out when it is the
     * scheme's default): HTTP/1.1's {@code Host}, HTTP/2's {@code :authority}, which arrives as
     * no header at all.
     */
    public String authority() {
        return request.getHttpURI().getAuthority();
    }

    /** The certificates the client showed over TLS, its own first; null over plaintext or when it showed none. */
    public java.security.cert.X509Certificate[] peerCertificates() {
        return request.getAttribute(org.eclipse.jetty.io.EndPoint.SslSessionData.ATTRIBUTE)
                instanceof org.eclipse.jetty.io.EndPoint.SslSessionData ssl ? ssl.peerCertificates() : null;
    }

    long contentLength() {
        return request.getLength();
    }

    /**
     * Reads the body, refusing one over {@code maxBytes} without buffering more than one byte
     * past the limit.
     */
    public byte[] body(long maxBytes, String keyspace) throws IOException {
        long declared = contentLength();
        if (declared > maxBytes) {
            throw tooLarge(declared, maxBytes, keyspace);
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            // With a declared length, an array of that size: readNBytes(n) starts with a 16 KiB buffer and copies
            // out of it, for a value of a hundred bytes.
            byte[] bytes = declared >= 0 ? readDeclared(in, (int) declared)
                    : in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw tooLarge(-1, maxBytes, keyspace);
            }
            bodyRead = true; // fewer bytes than asked for: the body ended
            bytesIn = bytes.length;
            return bytes;
        }
    }

    /** The body of a request that declared its length, read to its end (Jetty ends it there). */
    private static byte[] readDeclared(InputStream in, int declared) throws IOException {
        byte[] bytes = new byte[declared];
        int n = in.readNBytes(bytes, 0, declared);
        if (in.read() >= 0) {
            throw new IOException("the request body is longer than its Content-Length of " + declared);
        }
        return n < declared ? java.util.Arrays.copyOf(bytes, n) : bytes;
    }

    private static MeridianException tooLarge(long size, long maxBytes, String keyspace) {
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("keyspace", keyspace);
        ext.put("max_value_bytes", maxBytes);
        String what = size >= 0 ? "the value is " + size + " bytes" : "the value is over " + maxBytes + " bytes";
        return new MeridianException(ProblemType.VALUE_TOO_LARGE,
                what + "; keyspace '" + keyspace + "' accepts at most " + maxBytes + " bytes", ext);
    }

    public void header(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /** True when the request may carry a body that nothing has read yet. */
    private boolean bodyLeft() {
        return !bodyRead && (request.getLength() > 0
                || request.getLength() < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
    }

    /**
     * Before an answer is committed: a body nothing read is read and dropped when it declares at
     * most {@link #DRAIN_LIMIT} bytes (a client still sending it only delays the answer), else the
     * answer closes the connection. Jetty reads what has already arrived once an exchange is
     * complete; a body still arriving then made it close the connection without a word.
     */
    private void settleBody() {
        if (!bodyLeft()) {
            return;
        }
        if (request.getLength() > 0 && request.getLength() <= DRAIN_LIMIT) {
            try {
                Content.Source.consumeAll(request);
                bodyRead = true;
                return;
            } catch (IOException | RuntimeException e) {
                // the client went away: the answer will find the connection closed
            }
        }
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }

    int status() {
        return status;
    }

    public void send(int status, String contentType, byte[] body) {
        this.status = status;
        response.setStatus(status);
        settleBody();
        response.getHeaders().put(Headers.REGION, region);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        boolean head = "HEAD".equals(request.getMethod());
        bytesOut = head ? 0 : body.length;
        response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), done());
    }

    /**
     * Records where the router sent this request: {@code ranIn} serves it (this region, or the one
     * it is forwarded to), for a key owned by {@code owner} (empty: nobody). The WAN meter counts
     * clients' requests by route ({@link io.meridian.core.cost.WanMeter#routed}).
     */
    public void routed(String owner, String ranIn) {
        this.owner = owner == null ? "" : owner;
        this.ranIn = ranIn;
    }

    /** Where the request ran, when it was routed ({@link #routed}); else null. */
    io.meridian.core.auth.Authority.Caller caller() {
        return caller;
    }

    void caller(io.meridian.core.auth.Authority.Caller who) {
        this.caller = who;
    }

    public String ranIn() {
        return ranIn;
    }

    public String owner() {
        return owner;
    }

    /** The request body's bytes read, and the answer body's bytes sent. */
    public long bytesIn() {
        return bytesIn;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public void sendJson(int status, Object body) {
        send(status, JSON, Json.bytes(body));
    }

    void sendText(int status, String contentType, String body) {
        send(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public void sendEmpty(int status) {
        this.status = status;
        response.setStatus(status);
        settleBody();
        response.getHeaders().put(Headers.REGION, region);
        response.write(true, null, done());
    }

    /**
     * Relays another region's answer to a forwarded request: its status, headers and body, with
     * the region that served it in {@code Meridian-Region} and this one in {@code Meridian-Forwarded-By}.
     */
    public void sendRelayed(int status, java.util.Map<String, java.util.List<String>> headers, byte[] body) {
        this.status = status;
        response.setStatus(status);
        settleBody();
        headers.forEach((name, values) -> {
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (RELAYED_HEADERS.contains(lower) || lower.startsWith("meridian-")) {
                values.forEach(v -> response.getHeaders().add(canonical(lower), v));
            }
        });
        if (!response.getHeaders().contains(Headers.REGION)) {
            response.getHeaders().put(Headers.REGION, "unknown");
        }
        response.getHeaders().put(Headers.FORWARDED_BY, region);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        boolean head = "HEAD".equals(request.getMethod());
        bytesOut = head ? 0 : body.length;
        response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), done());
    }

    /** HTTP/1.1 clients may lower-case header names; relay them as Meridian documents them. */
    private static String canonical(String lower) {
        if (lower.equals("etag")) {
            return "ETag";
        }
        StringBuilder out = new StringBuilder();
        for (String part : lower.split("-")) {
            out.append(out.isEmpty() ? "" : "-").append(part.isEmpty() ? "" : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return out.toString();
    }

    private static final java.util.Set<String> RELAYED_HEADERS =
            java.util.Set.of("content-type", "etag", "last-modified", "allow", "retry-after", "idempotent-replayed");

    /** Request headers a forwarded request carries on. */
    /** The request's server span: a forwarded request's span is its child. */
    public io.opentelemetry.api.trace.Span span() {
        return span;
    }

    void span(io.opentelemetry.api.trace.Span span) {
        this.span = span;
    }

    public java.util.Map<String, String> forwardableHeaders() {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (org.eclipse.jetty.http.HttpField f : request.getHeaders()) {
            String lower = f.getName().toLowerCase(java.util.Locale.ROOT);
            if (lower.equals("content-type") || lower.equals("if-match") || lower.equals("if-none-match")
                    || lower.equals("idempotency-key") || io.meridian.node.tracing.Tracing.HEADERS.contains(lower) || (lower.startsWith("meridian-") && !lower.equals("meridian-forwarded-by") && !lower.equals("meridian-epoch"))) {
                out.put(f.getName(), f.getValue());
            }
        }
        return out;
    }

    /**
     * Starts an answer whose body is written piece by piece ({@link #writeChunk}), such as a
     * stream of Server-Sent Events: status and headers go now.
     */
    public void startStream(int status, String contentType) {
        this.status = status;
        response.setStatus(status);
        settleBody();
        response.getHeaders().put(Headers.REGION, region);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    }

    /**
     * Writes one piece of a streamed answer and waits until the connection took it: a slow reader
     * slows its writer down, and the node never buffers more than one piece for it.
     *
     * @throws IOException when the client went away (or stalled past the idle timeout)
     */
    public void writeChunk(byte[] bytes) throws IOException {
        try (org.eclipse.jetty.util.Blocker.Callback sent = org.eclipse.jetty.util.Blocker.callback()) {
            response.write(false, ByteBuffer.wrap(bytes), sent);
            sent.block();
        }
    }

    /** Ends a streamed answer: normally, or (with a cause) by dropping the connection. */
    public void endStream(Throwable failure) {
        if (failure == null) {
            response.write(true, null, done());
        } else {
            callback.failed(failure);
        }
    }

    /** True when the request asked for Server-Sent Events. */
    public boolean wantsEventStream() {
        String accept = header("Accept");
        return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream");
    }

    /** Every 503 says when to try again: the causes (a failover, a lease being renewed, a peer catching up) pass in seconds. */
    static final String RETRY_AFTER_SECONDS = "1";

    void sendProblem(MeridianException e) {
        if (e.type().status() == 503) {
            header("Retry-After", RETRY_AFTER_SECONDS);
        }
        if (e.type() == ProblemType.RESIDENCY_REDIRECT) {
            header("Location", String.valueOf(e.extensions().get("location")));
        }
        send(e.type().status(), PROBLEM_JSON, Problems.render(e.type(), e.detail(), rawPath(), region, e.extensions()));
    }
}
