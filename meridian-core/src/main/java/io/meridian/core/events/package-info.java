/**
 * Event-log keyspaces, the pure part: what an append is ({@link io.meridian.core.events.Append}),
 * how a request to append is read ({@link io.meridian.core.events.AppendRequest}), what it does to a
 * stream ({@link io.meridian.core.events.EventLog#decide}), and the binary forms the log, the
 * replication streams and the regional event stores keep ({@link io.meridian.core.events.EventCodec}).
 *
 * <p>A stream is a key of an event-log keyspace. Its home region orders its appends: each append
 * is one replicated write of the key, whose value is the append (its events and their versions), so
 * the asynchronous replication, the homes, the epochs, the leases and the lost-write accounting of
 * home-region keys carry streams unchanged. Every region keeps every stream's events, and numbers
 * them in the order it applied them (the keyspace's {@code $all} positions).
 */
package io.meridian.core.events;
