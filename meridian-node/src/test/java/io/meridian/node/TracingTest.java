package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tracing across regions with real nodes and a real OTLP/HTTP endpoint (a small HTTP server that
 * decodes what the exporter sends): a write sent to us-east for a keyspace whose primary is
 * eu-west makes one trace, continuing the client's, with a span in each region, the forward
 * between them, and the write's apply back in us-east when replication brings it there.
 */
class TracingTest {
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    /** A span as received, with the region whose node exported it. */
    record Received(String region, Span span) {
        String traceId() {
            return HexFormat.of().formatHex(span.getTraceId().toByteArray());
        }

        String spanId() {
            return HexFormat.of().formatHex(span.getSpanId().toByteArray());
        }

        String parentId() {
            return HexFormat.of().formatHex(span.getParentSpanId().toByteArray());
        }

        String attribute(String key) {
            return span.getAttributesList().stream().filter(a -> a.getKey().equals(key)).map(a -> a.getValue().getStringValue())
                    .findFirst().orElse(null);
        }
    }

    @Test
    void aForwardedWriteIsOneTraceWithASpanInEachRegion() throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes());
            for (ResourceSpans rs : request.getResourceSpansList()) {
                String region = rs.getResource().getAttributesList().stream().filter(a -> a.getKey().equals("meridian.region"))
                        .map(KeyValue::getValue).map(v -> v.getStringValue()).findFirst().orElse("?");
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    ss.getSpansList().forEach(s -> received.add(new Received(region, s)));
                }
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        int[] p = FreePorts.take(4);
        MeridianConfig config = ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: catalog, policy: primary, primary: eu-west}
                tracing: {otlp-endpoint: "http://127.0.0.1:%d/v1/traces"}
                """.formatted(collector.getAddress().getPort()));
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"))) {
            TestNodes.startTogether(east, west);
            String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
            String clientSpan = "00f067aa0ba902b7";
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p[0] + "/v1/kv/catalog/sku-1"))
                    .header("traceparent", "00-" + trace + "-" + clientSpan + "-01")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"price\": 3}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
            assertThat(put.headers().firstValue("Meridian-Region")).contains("eu-west");

            // Four spans: us-east's server span, its forward, eu-west's server span, and the apply of the write back in us-east.
            await().atMost(Duration.ofSeconds(30)).until(() -> received.stream().filter(r -> r.traceId().equals(trace)).count() >= 4);
            List<Received> spans = received.stream().filter(r -> r.traceId().equals(trace)).toList();
            Received eastServer = spans.stream().filter(r -> r.region().equals("us-east") && r.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                    .findFirst().orElseThrow(() -> new AssertionError("no server span of us-east in " + spans));
            Received forward = spans.stream().filter(r -> r.span().getKind() == Span.SpanKind.SPAN_KIND_CLIENT).findFirst().orElseThrow();
            Received westServer = spans.stream().filter(r -> r.region().equals("eu-west")).findFirst().orElseThrow();
            assertThat(eastServer.parentId()).as("the client's span is the parent").isEqualTo(clientSpan);
            assertThat(eastServer.span().getName()).isEqualTo("PUT put");
            assertThat(eastServer.attribute("meridian.keyspace")).isEqualTo("catalog");
            assertThat(forward.region()).isEqualTo("us-east");
            assertThat(forward.parentId()).isEqualTo(eastServer.spanId());
            assertThat(forward.span().getName()).isEqualTo("forward PUT to eu-west");
            assertThat(forward.attribute("meridian.target_region")).isEqualTo("eu-west");
            assertThat(westServer.parentId()).as("the forward carried its context").isEqualTo(forward.spanId());
            assertThat(westServer.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);

            // The write, made in eu-west under its request's span, travels to us-east with its trace context: the apply
            // there joins the trace as the write's child.
            Received apply = received.stream().filter(r -> r.traceId().equals(trace) && r.span().getKind() == Span.SpanKind.SPAN_KIND_CONSUMER)
                    .findFirst().orElseThrow();
            assertThat(apply.region()).isEqualTo("us-east");
            assertThat(apply.parentId()).as("the span that made the write").isEqualTo(westServer.spanId());
            assertThat(apply.span().getName()).isEqualTo("apply catalog from eu-west");
            assertThat(apply.attribute("meridian.origin_region")).isEqualTo("eu-west");
            assertThat(apply.span().getEndTimeUnixNano()).isGreaterThanOrEqualTo(apply.span().getStartTimeUnixNano());

            // A request without a traceparent starts its own trace; health checks and scrapes are not traced.
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p[2] + "/v1/kv/catalog/sku-1")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p[2] + "/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(30)).until(() -> received.stream().anyMatch(r -> !r.traceId().equals(trace)
                    && r.span().getName().equals("GET get")));
            assertThat(received).noneMatch(r -> r.span().getName().contains("health") || r.span().getName().contains("metrics")
                    || r.span().getName().contains("canary"));
        } finally {
            collector.stop(0);
        }
    }
}
