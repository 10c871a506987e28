/** Request tracing with OpenTelemetry across regions: server spans, forwarded requests' client spans, OTLP export. */
package io.meridian.node.tracing;
