package io.meridian.core.replication;

import io.meridian.core.Idempotency;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * One write as it is logged and replicated: who wrote it ({@code origin}, {@code seq},
 * {@code hlc}), what it did (a put of {@code value} or a delete, which leaves a tombstone),
 * the key's home region ({@code ""} when the policy has none), and {@code context}: the
 * key's version vector after this write, i.e. every write to this key it follows; and the
 * client's idempotency key for the write ({@link Idempotency#NONE} when it sent none), which every
 * region that applies the write keeps for a while, so a retry of it anywhere applies nothing.
 *
 * <p>Stored as a key's current state, {@code context} may be wider than the write's own: after
 * a conflict the winner carries both sides' contexts so later writes follow both.
 */
public record Entry(String origin, long seq, Hlc hlc, String keyspace, String key, Op op, byte[] value,
                    String contentType, String home, VersionVector context, Idempotency idempotency) {

    public enum Op { PUT, DELETE }

    /**
     * The content type of a {@linkplain #withheld() withheld} write. Not a media type a client can
     * send: content types are checked at the API.
     */
    public static final String WITHHELD_CONTENT_TYPE = "application/vnd.meridian.withheld";

    /** Last-writer-wins order: the higher HLC wins; equal HLCs are broken by the origin's name. */
    public static final Comparator<Entry> LWW_ORDER =
            Comparator.comparing(Entry::hlc).thenComparing(Entry::origin);

    public Entry {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(hlc, "hlc");
        Objects.requireNonNull(keyspace, "keyspace");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(idempotency, "idempotency");
        if (seq <= 0) {
            throw new IllegalArgumentException("sequence must be positive: " + seq);
        }
        if (context.get(origin) < seq) {
            throw new IllegalArgumentException("context " + context + " of " + origin + ":" + seq + " does not include the write itself");
        }
        if (op == Op.DELETE && value.length != 0) {
            throw new IllegalArgumentException("a delete carries no value");
        }
    }

    /** A write without an idempotency key. */
    public Entry(String origin, long seq, Hlc hlc, String keyspace, String key, Op op, byte[] value, String contentType,
                 String home, VersionVector context) {
        this(origin, seq, hlc, keyspace, key, op, value, contentType, home, context, Idempotency.NONE);
    }

    /**
     * This write as a region outside its keyspace's {@link Residency} receives it: who wrote it,
     * its sequence, clock, keyspace and home, and nothing of its key, value or request. It keeps
     * the origin's sequence gapless there (and relayable onwards), and is never applied to a key.
     */
    public Entry withheld() {
        return new Entry(origin, seq, hlc, keyspace, "", Op.PUT, new byte[0], WITHHELD_CONTENT_TYPE, home,
                new VersionVector(java.util.Map.of(origin, seq)), Idempotency.NONE);
    }

    /** True for a {@link #withheld()} write. */
    public boolean isWithheld() {
        return contentType.equals(WITHHELD_CONTENT_TYPE) && key.isEmpty();
    }

    /** This write without its idempotency key: what a key's stored state keeps. */
    public Entry withoutIdempotency() {
        return idempotency.isNone() ? this : new Entry(origin, seq, hlc, keyspace, key, op, value, contentType, home, context);
    }

    public Stamp stamp() {
        return new Stamp(origin, seq, hlc);
    }

    public boolean isTombstone() {
        return op == Op.DELETE;
    }

    /** True when this and {@code other} are the same write (whatever their stored contexts). */
    public boolean sameWrite(Entry other) {
        return origin.equals(other.origin) && seq == other.seq;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && origin.equals(e.origin) && seq == e.seq && hlc.equals(e.hlc)
                && keyspace.equals(e.keyspace) && key.equals(e.key) && op == e.op && Arrays.equals(value, e.value)
                && contentType.equals(e.contentType) && home.equals(e.home) && context.equals(e.context)
                && idempotency.equals(e.idempotency);
    }

    @Override
    public int hashCode() {
        return Objects.hash(origin, seq, hlc, keyspace, key, op, Arrays.hashCode(value), contentType, home, context, idempotency);
    }

    @Override
    public String toString() {
        return keyspace + "/" + key + " " + op + " " + stamp() + " ctx " + context + (home.isEmpty() ? "" : " home " + home);
    }
}
