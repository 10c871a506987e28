package io.meridian.lab;

/**
 * When a chunk of bytes sent over an emulated WAN link arrives at the far end. Pure: times are
 * passed in (nanoseconds on any monotonic scale) and jitter is a sample the caller draws.
 *
 * <p>The model: the link serialises bytes at {@code bytesPerSecond} (0 = unlimited), shared by
 * every connection on it; each chunk then takes the one-way delay plus its jitter; a TCP
 * stream never reorders, so a chunk is never delivered before the one sent ahead of it on the
 * same connection ({@link Stream}).
 */
final class LinkShaper {
    private final long delayNanos;
    private final long bytesPerSecond;
    private long linkFreeAtNanos = Long.MIN_VALUE;

    LinkShaper(long delayNanos, long bytesPerSecond) {
        if (delayNanos < 0 || bytesPerSecond < 0) {
            throw new IllegalArgumentException("delay " + delayNanos + " ns, bandwidth " + bytesPerSecond + " B/s");
        }
        this.delayNanos = delayNanos;
        this.bytesPerSecond = bytesPerSecond;
    }

    long delayNanos() {
        return delayNanos;
    }

    /** Time at which the link has put the chunk's last byte on the wire. */
    synchronized long transmitted(long arrivalNanos, int bytes) {
        if (bytesPerSecond == 0) {
            return arrivalNanos;
        }
        long start = Math.max(arrivalNanos, linkFreeAtNanos);
        linkFreeAtNanos = start + bytes * 1_000_000_000L / bytesPerSecond;
        return linkFreeAtNanos;
    }

    /** One direction of one connection over the link: keeps its chunks in order. */
    final class Stream {
        private long lastDueNanos = Long.MIN_VALUE;

        /** @param jitterNanos a sample from [0, jitter], drawn by the caller */
        long due(long arrivalNanos, int bytes, long jitterNanos) {
            long due = transmitted(arrivalNanos, bytes) + delayNanos + jitterNanos;
            lastDueNanos = Math.max(lastDueNanos, due);
            return lastDueNanos;
        }
    }

    Stream stream() {
        return new Stream();
    }
}
