/**
 * Performing routes between regions: {@link io.meridian.node.routing.Forwarder} relays a request
 * to the region core's {@code Router} named, once (a forwarded request is never forwarded again).
 */
package io.meridian.node.routing;
