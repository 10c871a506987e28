/**
 * The traffic layer's decisions as pure logic: the health of a gateway's upstreams (active
 * checks and passive outlier ejection) and where a gateway sends a request (its own region's
 * instances, another region's gateway, or nowhere). No threads, clocks or sockets: times are
 * passed in.
 */
package io.meridian.core.traffic;
