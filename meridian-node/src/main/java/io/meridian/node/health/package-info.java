/** Peer health: {@link io.meridian.node.health.PeerProber} measures round trips to every other region and feeds the failure detector. */
package io.meridian.node.health;
