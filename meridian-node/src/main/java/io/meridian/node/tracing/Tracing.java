package io.meridian.node.tracing;

import io.meridian.core.config.MeridianConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Request tracing with OpenTelemetry, off unless {@code tracing.otlp-endpoint} is configured.
 * Every API request is a server span, continuing the trace of the W3C {@code traceparent} it
 * arrived with; a request forwarded to another region is a client span whose context travels in
 * the forwarded request's {@code traceparent}, so one trace shows the request in every region it
 * crossed. Spans leave in batches over OTLP/HTTP (protobuf), sent with the JDK's HTTP client.
 * Off, every method is a no-op and costs nothing but a branch.
 */
public final class Tracing implements AutoCloseable {
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    public static final AttributeKey<String> REGION = AttributeKey.stringKey("meridian.region");
    public static final AttributeKey<String> KEYSPACE = AttributeKey.stringKey("meridian.keyspace");
    public static final AttributeKey<String> TARGET = AttributeKey.stringKey("meridian.target_region");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");

    /** Tracing off. */
    public static final Tracing OFF = new Tracing(null, null, null);

    private final String region;
    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Tracing(String region, SdkTracerProvider provider, Tracer tracer) {
        this.region = region;
        this.provider = provider;
        this.tracer = tracer;
    }

    /** Tracing of {@code region}'s node as configured: {@link #OFF} without an endpoint. */
    public static Tracing of(String region, MeridianConfig.Tracing config) {
        if (!config.enabled()) {
            return OFF;
        }
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(config.otlpEndpoint().orElseThrow().toString())
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), "meridian", REGION, region,
                        AttributeKey.stringKey("service.instance.id"), region))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(1, TimeUnit.SECONDS).build())
                .build();
        return new Tracing(region, provider, provider.get("io.meridian.node"));
    }

    public boolean enabled() {
        return tracer != null;
    }

    /**
     * Starts the server span of a request, as a child of the {@code traceparent} it carries
     * ({@code header} reads a request header), a new trace without one.
     */
    public Span startRequest(String method, Function<String, String> header) {
        if (tracer == null) {
            return Span.getInvalid();
        }
        Context parent = W3C.extract(Context.root(), header, GETTER);
        return tracer.spanBuilder(method).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(REGION, region).setAttribute(METHOD, method).startSpan();
    }

    /** Ends a request's span, named for what the request was ({@code PUT kv}) once routing knew. */
    public void endRequest(Span span, String method, String keyspace, String operation, int status) {
        if (tracer == null) {
            return;
        }
        span.updateName(method + " " + operation);
        if (!"-".equals(keyspace)) {
            span.setAttribute(KEYSPACE, keyspace);
        }
        span.setAttribute(STATUS, (long) status);
        if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    /**
     * Starts the client span of a request forwarded to {@code target} under {@code parent} (the
     * request's server span) and puts its context into the forwarded request's headers
     * ({@code traceparent}, {@code tracestate}) through {@code header}. Off, nothing is added:
     * the client's own {@code traceparent}, if any, is forwarded as it came.
     */
    public Span startForward(Span parent, String method, String target, BiConsumer<String, String> header) {
        if (tracer == null) {
            return Span.getInvalid();
        }
        Span span = tracer.spanBuilder("forward " + method + " to " + target).setParent(Context.root().with(parent))
                .setSpanKind(SpanKind.CLIENT).setAttribute(REGION, region).setAttribute(TARGET, target).startSpan();
        W3C.inject(Context.root().with(span), header, (carrier, k, v) -> carrier.accept(k, v));
        return span;
    }

    /** Ends a forward's span with the status the target answered, or 0 when it did not. */
    public void endForward(Span span, int status) {
        if (tracer == null) {
            return;
        }
        if (status > 0) {
            span.setAttribute(STATUS, (long) status);
        }
        if (status == 0 || status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    /**
     * The trace context a replicated write made now carries to the other regions: the current
     * span's (the request's, made current while it is routed) when it is sampled, else none.
     */
    public java.util.Optional<io.meridian.core.replication.Codec.Trace> ofWrite(String origin, long seq) {
        if (tracer == null) {
            return java.util.Optional.empty();
        }
        io.opentelemetry.api.trace.SpanContext c = Span.current().getSpanContext();
        if (!c.isValid() || !c.isSampled()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new io.meridian.core.replication.Codec.Trace(origin, seq, c.getTraceId(), c.getSpanId(), true));
    }

    /**
     * Records the apply, in this region, of a write that arrived traced from another region: a span
     * of the write's trace, child of the span that made the write, from when its batch arrived to
     * when it was durable here.
     *
     * @param delayMillis how long after the write it became visible here
     */
    public void applied(io.meridian.core.replication.Codec.Trace trace, String keyspace, long arrivedMillis, long doneMillis,
                        long delayMillis) {
        if (tracer == null) {
            return;
        }
        io.opentelemetry.api.trace.SpanContext parent = io.opentelemetry.api.trace.SpanContext.createFromRemoteParent(trace.traceId(),
                trace.spanId(), trace.sampled() ? io.opentelemetry.api.trace.TraceFlags.getSampled()
                        : io.opentelemetry.api.trace.TraceFlags.getDefault(), io.opentelemetry.api.trace.TraceState.getDefault());
        tracer.spanBuilder("apply " + keyspace + " from " + trace.origin()).setParent(Context.root().with(Span.wrap(parent)))
                .setSpanKind(SpanKind.CONSUMER).setStartTimestamp(arrivedMillis, TimeUnit.MILLISECONDS)
                .setAttribute(REGION, region).setAttribute(KEYSPACE, keyspace).setAttribute(ORIGIN, trace.origin())
                .setAttribute(SEQ, trace.seq()).setAttribute(DELAY, delayMillis).startSpan()
                .end(doneMillis, TimeUnit.MILLISECONDS);
    }

    public static final AttributeKey<String> ORIGIN = AttributeKey.stringKey("meridian.origin_region");
    public static final AttributeKey<Long> SEQ = AttributeKey.longKey("meridian.seq");
    public static final AttributeKey<Long> DELAY = AttributeKey.longKey("meridian.replication_delay_ms");

    /** The headers trace context travels in, which a region forwards as it received them when not tracing. */
    public static final List<String> HEADERS = List.of("traceparent", "tracestate");

    private static final TextMapGetter<Function<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, String> carrier) {
            return HEADERS;
        }

        @Override
        public String get(Function<String, String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };

    /** Exports what is left and stops, within a few seconds. */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(5, TimeUnit.SECONDS);
        }
    }
}
