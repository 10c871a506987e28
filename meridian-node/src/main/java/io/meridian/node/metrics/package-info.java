/** The region's Prometheus metrics ({@code GET /metrics}), bound to the views of the other parts. */
package io.meridian.node.metrics;
