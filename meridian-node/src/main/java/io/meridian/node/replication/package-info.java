/**
 * The shell of asynchronous replication: {@link io.meridian.node.replication.ReplicationEngine}
 * performs what core's pure {@code ReplicationMachine} decides (streams, snapshots, waits for
 * session tokens, metrics), and the conflict resolvers a configuration names.
 */
package io.meridian.node.replication;
