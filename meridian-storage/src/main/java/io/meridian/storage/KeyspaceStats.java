package io.meridian.storage;

/** RocksDB's own figures for one keyspace: estimates, as RocksDB keeps them. */
public record KeyspaceStats(long estimatedKeys, long sstBytes, long memtableBytes) {
}
