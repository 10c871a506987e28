/**
 * Projections of event-log keyspaces: each region folds the events it holds into read models
 * ({@link io.meridian.node.projection.ProjectionRunner}, one thread per projection), rebuilds
 * them by replay while the old model serves, and answers as-of queries by replay from snapshots.
 */
package io.meridian.node.projection;
