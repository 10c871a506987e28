package io.meridian.core.config;

import java.time.Duration;

/**
 * How much of its writes a region may hold alone ({@code rpo-budget} and
 * {@code on-budget-exceeded} of an asynchronously replicated keyspace).
 *
 * <p>While every write this region acknowledged more than {@code budget} ago is held by another
 * region, writes are acknowledged as usual (asynchronous: no round trip). Once the oldest write
 * no other region holds is older than the budget, the region stops acknowledging writes of the
 * keyspace that no other region holds: it {@link OnExceeded#WAIT waits} for another region's
 * durable acknowledgement of each, or {@link OnExceeded#REFUSE refuses} them with 503. So what a
 * region can lose when it is lost is the writes it acknowledged in one budget-long window. A
 * budget of 0 makes every write wait for another region's copy (semi-synchronous).
 */
public record RpoBudget(Duration budget, OnExceeded onExceeded) {

    public enum OnExceeded {
        WAIT, REFUSE;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public RpoBudget {
        if (budget.isNegative()) {
            throw new IllegalArgumentException("an RPO budget cannot be negative: " + budget);
        }
    }

    /** True for {@code rpo-budget: 0}: every write waits for another region's copy. */
    public boolean synchronous() {
        return budget.isZero();
    }

    public long budgetMillis() {
        return budget.toMillis();
    }
}
