package io.meridian.node;

import io.meridian.core.time.Scheduler;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A {@link Scheduler} on one daemon thread of its own, named for the shell that uses it. */
final class ThreadScheduler implements Scheduler {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ThreadScheduler.class);
    private final ScheduledExecutorService executor;

    ThreadScheduler(String threadName) {
        this.executor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(threadName).daemon().factory());
    }

    @Override
    public Cancellable every(Duration period, Runnable task) {
        long millis = Math.max(1, period.toMillis());
        ScheduledFuture<?> f = executor.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                // A periodic task that throws would never run again: say so and carry on.
                log.warn("{} failed: {}", Thread.currentThread().getName(), e.toString());
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public Cancellable after(Duration delay, Runnable task) {
        ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public void execute(Runnable task) {
        executor.execute(task);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
