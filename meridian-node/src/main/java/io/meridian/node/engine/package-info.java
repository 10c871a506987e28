/**
 * Keyspace engines: one per keyspace, chosen by {@link io.meridian.node.engine.Engines#create}
 * (the node's only switch over policies). An engine executes the typed requests of its policy
 * and adds its own routes (transactions, move-home, the conflict feed).
 */
package io.meridian.node.engine;
