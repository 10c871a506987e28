package io.meridian.node.http;

import io.meridian.core.Headers;
import io.meridian.core.ProblemType;
import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Renders the errors Jetty raises before a request reaches {@link ApiHandler} (a malformed
 * request line, an ambiguous URI, oversized headers) as problem documents too.
 */
public final class ProblemErrorHandler extends ErrorHandler {
    private final String region;

    public ProblemErrorHandler(String region) {
        this.region = region;
    }

    /**
     * The rejected request line, as far as Jetty parsed it. A request line it could not parse at
     * all (a '%' without two hex digits after it, a space or control character in the URI) comes
     * as Jetty's placeholder {@code BAD /badMessage}, which names nothing the client sent.
     */
    private static String describe(Request request) {
        try {
            String uri = request.getHttpURI().asString();
            if (uri.endsWith("/badMessage")) {
                return ": the request line does not parse (a '%' not followed by two hex digits, an encoded NUL %00,"
                        + " or a space or control character in the URI?); percent-encode every byte of a key outside A-Z a-z 0-9 - . _ ~";
            }
            return ": " + request.getMethod() + " " + uri;
        } catch (RuntimeException e) {
            return "";
        }
    }

    /**
     * Every method's refusals get a problem document: Jetty's default renders error pages for
     * GET, POST and HEAD only, and answered a refused PUT (a bogus {@code Expect}, a
     * {@code Transfer-Encoding} with a {@code Content-Length}) with an empty body.
     */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        ProblemType type = switch (code) {
            case 400 -> ProblemType.MALFORMED_REQUEST;
            case 404 -> ProblemType.NOT_FOUND;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 413 -> ProblemType.VALUE_TOO_LARGE;
            case 414 -> ProblemType.URI_TOO_LONG;
            case 431 -> ProblemType.HEADERS_TOO_LARGE;
            case 503 -> ProblemType.UNAVAILABLE;
            case 505 -> ProblemType.HTTP_VERSION_NOT_SUPPORTED;
            default -> code >= 400 && code < 500 ? ProblemType.MALFORMED_REQUEST : ProblemType.INTERNAL;
        };
        String detail = (message == null || message.isBlank() || message.equals("Bad Request") ? type.title() : message)
                + describe(request);
        int status = code >= 400 && code < 600 ? code : type.status();
        byte[] body = Problems.render(type, status, detail, null, region, Map.of());
        response.setStatus(status);
        response.getHeaders().put(Headers.REGION, region);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Exchange.PROBLEM_JSON);
        // Jetty closes the connection after a request it refused (the rest of the stream cannot be trusted):
        // say so, or a client sends its next request on it and gets no answer (found by the HTTP fuzz test).
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
