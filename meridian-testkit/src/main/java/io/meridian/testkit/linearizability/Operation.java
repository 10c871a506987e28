package io.meridian.testkit.linearizability;

import java.util.Objects;
import java.util.Optional;

/**
 * One client operation on one key as a test recorded it: what it asked, what it got, and when it
 * was invoked and answered (any monotonic clock, e.g. {@code System.nanoTime()}). An operation
 * whose answer never came (a timeout, a crash) has no {@code returnTime} and no output: it may
 * or may not have taken effect, at any time after its invocation.
 */
public record Operation(int client, String key, Input input, Optional<Output> output, long invokeTime,
                        Optional<Long> returnTime) {

    public Operation {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(input, "input");
        if (output.isPresent() != returnTime.isPresent()) {
            throw new IllegalArgumentException("an operation has an output exactly when it returned");
        }
        if (returnTime.isPresent() && returnTime.get() < invokeTime) {
            throw new IllegalArgumentException("returned at " + returnTime.get() + " before its invocation at " + invokeTime);
        }
    }

    public static Operation completed(int client, String key, Input input, Output output, long invokeTime, long returnTime) {
        return new Operation(client, key, input, Optional.of(output), invokeTime, Optional.of(returnTime));
    }

    public static Operation unknown(int client, String key, Input input, long invokeTime) {
        return new Operation(client, key, input, Optional.empty(), invokeTime, Optional.empty());
    }

    /** What a register operation asked. A null value means "absent". */
    public sealed interface Input {
        record Read() implements Input {
        }

        record Write(String value) implements Input {
        }

        /** Compare-and-set: write {@code value} if the register holds {@code expected} (null: absent). */
        record Cas(String expected, String value) implements Input {
        }
    }

    /** What it got: the value read (null: absent), or whether a write or CAS took effect. */
    public record Output(String value, boolean ok) {
        public static Output read(String value) {
            return new Output(value, true);
        }

        public static Output done(boolean ok) {
            return new Output(null, ok);
        }
    }
}
