package io.meridian.traffic;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.client.RequestOptions;
import io.meridian.core.Headers;
import io.meridian.core.ProblemType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The lab's demo of a stateless service: a small shop that keeps nothing itself and uses
 * Meridian through the region-aware client, so any region's instance can serve any user. Pages
 * (JSON): {@code GET /product/{id}} reads {@code catalog} (primary), {@code GET /profile/{id}}
 * reads {@code profiles} (home-region), {@code GET /cart/{user}} and
 * {@code POST /cart/{user}?item=X} read and add to {@code carts} (a CRDT map of counters).
 * {@code Meridian-Session} is the user's: taken from the request and answered, advanced by a
 * write, so a user's reads see their writes whichever region serves them (build the client with
 * {@code sessions(false)}: one client serves every user). {@code GET /static/*} serves the
 * shop's static files with caching headers, for the edge. {@code GET /health} is its check.
 */
public final class DemoShop implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PAGE = Pattern.compile("/(product|profile|cart)/([A-Za-z0-9._-]{1,64})");
    /** For the edge: fresh for a minute, served stale while revalidated for 30 s more, and for a day when the origin fails. */
    public static final String STATIC_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=30, stale-if-error=86400";
    private static final Map<String, String> STATIC = Map.of(
            "/static/app.js", "document.querySelectorAll('[data-product]').forEach(e => fetch('/product/' + e.dataset.product));\n",
            "/static/style.css", "body { font-family: system-ui, sans-serif; margin: 2rem; }\n",
            "/static/index.html", "<!doctype html><title>Meridian shop</title><link rel=stylesheet href=/static/style.css>"
                    + "<h1>Meridian shop</h1><p data-product=p-1>p-1</p><script src=/static/app.js></script>\n");

    private final String region;
    private final MeridianClient client;
    private final Server server;
    private final ServerConnector connector;

    public DemoShop(String region, String host, int port, MeridianClient client) {
        this.region = region;
        this.client = client;
        this.server = new Server();
        this.connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                serve(request, response, callback);
                return true;
            }
        });
    }

    public void start() throws Exception {
        server.start();
    }

    public int port() {
        return connector.getLocalPort();
    }

    private void serve(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        response.getHeaders().put(Headers.REGION, region);
        if (path.equals("/health")) {
            write(response, callback, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (path.startsWith("/static/") || path.equals("/")) {
            String body = STATIC.get(path.equals("/") ? "/static/index.html" : path);
            if (body == null || !(method.equals("GET") || method.equals("HEAD"))) {
                problem(response, callback, body == null ? ProblemType.NOT_FOUND : ProblemType.METHOD_NOT_ALLOWED, path);
                return;
            }
            String etag = "\"" + Integer.toHexString(body.hashCode()) + "\"";
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, STATIC_CACHE_CONTROL);
            response.getHeaders().put(HttpHeader.ETAG, etag);
            if (etag.equals(request.getHeaders().get(HttpHeader.IF_NONE_MATCH))) {
                response.setStatus(304);
                response.write(true, null, callback);
                return;
            }
            String type = path.endsWith(".js") ? "text/javascript" : path.endsWith(".css") ? "text/css" : "text/html";
            write(response, callback, 200, type + "; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
            return;
        }
        Matcher m = PAGE.matcher(path);
        if (!m.matches()) {
            problem(response, callback, ProblemType.NOT_FOUND, path);
            return;
        }
        String page = m.group(1);
        String id = m.group(2);
        boolean write = page.equals("cart") && method.equals("POST");
        if (!write && !method.equals("GET")) {
            problem(response, callback, ProblemType.METHOD_NOT_ALLOWED, path);
            return;
        }
        String session = request.getHeaders().get(Headers.SESSION);
        RequestOptions options = session == null ? RequestOptions.NONE : RequestOptions.NONE.session(session);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("page", page);
        doc.put("id", id);
        doc.put("served_by", region);
        try {
            if (write) {
                String item = Request.extractQueryParameters(request).getValue("item");
                if (item == null || item.isBlank() || item.length() > 64) {
                    problem(response, callback, ProblemType.INVALID_PARAMETER, path);
                    return;
                }
                Map<String, Object> op = Map.of("update", Map.of(item, Map.of("increment", 1)));
                MeridianClient.CrdtResult r = client.crdt("carts", id, JSON.writeValueAsString(op), options);
                doc.put("cart", r.value());
                doc.put("data_region", r.region());
                session = r.session() != null ? r.session() : session;
            } else {
                String keyspace = switch (page) {
                    case "product" -> "catalog";
                    case "profile" -> "profiles";
                    default -> "carts";
                };
                Optional<MeridianClient.Value> v = client.get(keyspace, id, options);
                doc.put("found", v.isPresent());
                v.ifPresent(value -> {
                    doc.put("value", value.text());
                    doc.put("data_region", value.region());
                });
            }
        } catch (MeridianClientException e) {
            Map<String, Object> problem = new LinkedHashMap<>();
            problem.put("type", ProblemType.UNAVAILABLE.uri());
            problem.put("title", "The shop's data is not reachable now");
            problem.put("status", 503);
            problem.put("detail", e.getMessage());
            problem.put("region", region);
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            write(response, callback, 503, "application/problem+json", JSON.writeValueAsBytes(problem));
            return;
        }
        if (session != null) {
            response.getHeaders().put(Headers.SESSION, session); // the user's token, advanced by their write
        }
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        write(response, callback, 200, "application/json", JSON.writeValueAsBytes(doc));
    }

    private void problem(Response response, Callback callback, ProblemType type, String path) throws Exception {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", type.uri());
        problem.put("title", type.title());
        problem.put("status", type.status());
        problem.put("instance", path);
        problem.put("region", region);
        write(response, callback, type.status(), "application/problem+json", JSON.writeValueAsBytes(problem));
    }

    private static void write(Response response, Callback callback, int status, String type, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(DemoShop.class).warn("stopping the shop: {}", e.toString());
        }
    }
}
