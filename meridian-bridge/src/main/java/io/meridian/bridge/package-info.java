/**
 * Bridges between Meridian and Kafka, each a client of one region's HTTP API: {@link
 * io.meridian.bridge.KafkaSink} publishes a keyspace's change feed (an event log's {@code $all})
 * to a topic, exactly once; {@link io.meridian.bridge.KafkaSource} appends a topic's records to an
 * event-log keyspace, at most once per record.
 */
package io.meridian.bridge;
