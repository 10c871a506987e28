/**
 * Canary probes: the shell that writes this region's beats, reads them back in other regions
 * for read-your-writes, and records other regions' beats as they are applied here.
 */
package io.meridian.node.canary;
