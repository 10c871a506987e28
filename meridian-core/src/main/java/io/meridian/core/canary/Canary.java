package io.meridian.core.canary;

import io.meridian.core.Policy;
import io.meridian.core.api.ApiJson;
import io.meridian.core.config.KeyspaceConfig;
import java.util.List;
import java.util.Optional;

/**
 * Canary probes: every data region writes one small value, a {@link Beat}, to its own key of a
 * reserved keyspace at a fixed interval, and every other region records when the beat became
 * visible there. That is the staleness a reader really sees from each source region, measured
 * through the same log, stream, apply and storage as user writes, and it keeps being measured
 * when no user writes (a stalled stream shows as a growing age, not as silence).
 *
 * <p>One keyspace serves every asynchronous policy: every asynchronously replicated keyspace of a
 * region rides the same stream to each peer, and a batch's entries are applied (and become
 * visible) together under one lock and one fsync, so a canary per policy would measure one thing
 * several times. The keyspace is multi-master (each region writes only its own key, so nothing
 * conflicts and nothing fails over); its name starts with '_', which no configured keyspace may.
 */
public final class Canary {
    /** The reserved keyspace canaries are written to. */
    public static final String KEYSPACE = "_canary";
    /** Largest beat value; beats are far smaller. */
    static final long MAX_VALUE_BYTES = 1024;

    private Canary() {
    }

    /** True for the canary keyspace's name. */
    public static boolean isCanary(String keyspace) {
        return KEYSPACE.equals(keyspace);
    }

    /** The keyspace canaries are written to: multi-master, last writer wins, small values. */
    public static KeyspaceConfig keyspace() {
        return new KeyspaceConfig(KEYSPACE, new Policy.MultiMaster("lww"), List.of(), MAX_VALUE_BYTES, List.of());
    }

    /**
     * One canary write: region {@code region}'s {@code n}th beat, made at {@code atMs} on its wall
     * clock. Stored as JSON ({@code {"region":"us-east","n":42,"at_ms":1764000000000}}), so
     * {@code GET /v1/kv/_canary/us-east} shows it.
     */
    public record Beat(String region, long n, long atMs) {
        public byte[] encode() {
            return ApiJson.bytes(this);
        }

        /** The beat {@code value} holds; empty for anything else (a value not written by a canary). */
        public static Optional<Beat> decode(byte[] value) {
            if (value == null || value.length > MAX_VALUE_BYTES) {
                return Optional.empty();
            }
            try {
                Beat beat = ApiJson.read(value, Beat.class);
                return beat.region() != null && beat.n() >= 0 && beat.atMs() >= 0 ? Optional.of(beat) : Optional.empty();
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
    }
}
