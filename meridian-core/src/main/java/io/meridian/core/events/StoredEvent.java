package io.meridian.core.events;

import io.meridian.core.replication.Hlc;

/**
 * An event as a region holds it: its stream and version (the same in every region), the write
 * that appended it ({@code origin}, {@code seq}, {@code hlc}), and its {@code position} in this
 * region's order of the keyspace ({@code $all}; positions differ between regions).
 */
public record StoredEvent(String stream, long version, Event event, String origin, long seq, Hlc hlc, long position) {
}
