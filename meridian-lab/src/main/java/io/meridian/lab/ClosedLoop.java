package io.meridian.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load for the benchmarks: each writer sends its next request as soon as the last
 * one answered, for a fixed time; what it measured is the rate and the latency of the answers.
 */
final class ClosedLoop {
    private ClosedLoop() {
    }

    /** One request of writer {@code writer}, its {@code n}-th. */
    @FunctionalInterface
    interface Request {
        void send(int writer, long n);
    }

    /** Requests answered per second, latency percentiles of the answered ones in milliseconds, and failures. */
    record Result(double perSecond, double p50Ms, double p99Ms, long failed) {
    }

    static Result run(int writers, Duration length, Request request) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Recorder latency = new Recorder(3);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(Thread.ofVirtual().start(() -> {
                for (long n = 0; !stop.get(); n++) {
                    long start = System.nanoTime();
                    try {
                        request.send(writer, n);
                        latency.recordValue(Math.max(1, (System.nanoTime() - start) / 1_000));
                        done.incrementAndGet();
                    } catch (RuntimeException e) {
                        failed.incrementAndGet();
                    }
                }
            }));
        }
        long start = System.nanoTime();
        Thread.sleep(length);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        var h = latency.getIntervalHistogram();
        return new Result(done.get() / seconds, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                failed.get());
    }
}
