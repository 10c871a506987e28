/**
 * Canary probes as pure logic: the beat's format and what one region knows of everyone's beats
 * (staleness per source, read-your-writes outcomes per target).
 */
package io.meridian.core.canary;
