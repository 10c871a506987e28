package io.meridian.replication;

/** Wakes senders when there is something new to ship (a local write, an applied entry). */
public final class Signal {
    private long generation;

    public synchronized void fire() {
        generation++;
        notifyAll();
    }

    synchronized long generation() {
        return generation;
    }

    /** Waits until fired after {@code seen}, or the timeout passes. */
    synchronized void awaitAfter(long seen, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (generation == seen) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            wait(left);
        }
    }
}
