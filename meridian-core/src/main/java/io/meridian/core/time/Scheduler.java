package io.meridian.core.time;

import java.time.Duration;

/**
 * Where a shell runs its periodic and deferred work, so that the shell starts no thread itself.
 * The node gives each shell one backed by a thread of its own ({@code ThreadScheduler}); a test
 * can give one that runs tasks when it advances its own clock. Tasks of one scheduler never run
 * concurrently.
 */
public interface Scheduler extends AutoCloseable {

    /** A scheduled task, to stop it. */
    interface Cancellable {
        void cancel();
    }

    /** Runs {@code task} every {@code period}, the first time one period from now, each run a period after the last ended. */
    Cancellable every(Duration period, Runnable task);

    /** Runs {@code task} once, {@code delay} from now. */
    Cancellable after(Duration delay, Runnable task);

    /** Runs {@code task} as soon as the scheduler is free. */
    default void execute(Runnable task) {
        after(Duration.ZERO, task);
    }

    /** Stops every task; none runs after this returns (one running now may finish). */
    @Override
    void close();
}
