/**
 * The web console every node serves at {@code /console}: static pages from the jar, and the
 * documents they read ({@code GET /v1/status}, {@code GET /v1/overview}, live as Server-Sent Events).
 */
package io.meridian.node.console;
