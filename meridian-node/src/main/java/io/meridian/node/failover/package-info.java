/**
 * The shell of failover: {@link io.meridian.node.failover.FailoverAgent} runs core's pure
 * {@code RegionAgent} and {@code Decider} on a scheduler, proposes their commands to the control
 * plane's Raft group, and answers the write path's ownership checks (lease, epoch, acting region).
 */
package io.meridian.node.failover;
