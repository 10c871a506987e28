package io.meridian.bench;

import com.sun.net.httpserver.HttpServer;
import io.meridian.core.config.MeridianConfig;
import io.meridian.node.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What tracing costs one API request on the node's own thread: the server span started from the
 * request's headers, made current while the request is routed, renamed and ended with its status
 * (what {@code ApiHandler} does around every request on a keyspace). Spans that are sampled go to
 * an OTLP endpoint on 127.0.0.1 that accepts every batch.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TracingBench {
    /** {@code off}, or the configured sample ratio. */
    @Param({"off", "0", "0.01", "1"})
    public String sampling;

    /** Whether the request carries a {@code traceparent} (sampled, as a traced client's would be). */
    @Param({"false", "true"})
    public boolean traceparent;

    private HttpServer sink;
    private Tracing tracing;
    private Map<String, String> headers;

    @Setup(Level.Trial)
    public void start() throws IOException {
        if (sampling.equals("off")) {
            tracing = Tracing.OFF;
        } else {
            sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            sink.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            sink.start();
            URI endpoint = URI.create("http://127.0.0.1:" + sink.getAddress().getPort() + "/v1/traces");
            tracing = Tracing.of("us-east", new MeridianConfig.Tracing(Optional.of(endpoint), Double.parseDouble(sampling)));
        }
        headers = traceparent
                ? Map.of("content-type", "text/plain", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                : Map.of("content-type", "text/plain");
    }

    @TearDown(Level.Trial)
    public void stop() {
        tracing.close();
        if (sink != null) {
            sink.stop(0);
        }
    }

    @Benchmark
    public Span request() {
        Span span = tracing.enabled() ? tracing.startRequest("PUT", headers::get) : Span.getInvalid();
        try (Scope ignored = tracing.enabled() ? span.makeCurrent() : Scope.noop()) {
            tracing.endRequest(span, "PUT", "cache", "kv", 201);
        }
        return span;
    }
}
