package io.meridian.core.traffic;

/**
 * The health of one upstream (a service instance, or another region's gateway), from two
 * sources, as Envoy combines them:
 *
 * <ul>
 *   <li><b>Active checks</b>: {@link #UNHEALTHY_AFTER} failed checks in a row take it out,
 *       {@link #HEALTHY_AFTER} passed checks in a row bring it back; it starts healthy (so a
 *       gateway serves before its first round of checks, and a blip of one failed check is
 *       not an outage).</li>
 *   <li><b>Passive outlier ejection</b>: {@link #EJECT_AFTER} failed requests in a row (no
 *       connection, or a 5xx) eject it for {@link #EJECTION_MILLIS} times the number of times
 *       it was ejected (at most {@link #MAX_EJECTION_MILLIS}); only a successful request breaks
 *       the run (an instance can pass its checks and fail its requests), and only time ends an
 *       ejection.</li>
 * </ul>
 *
 * Not thread-safe: the gateway keeps one per upstream and synchronizes on it.
 */
public final class UpstreamHealth {
    public static final int UNHEALTHY_AFTER = 2;
    public static final int HEALTHY_AFTER = 2;
    public static final int EJECT_AFTER = 3;
    public static final long EJECTION_MILLIS = 5_000;
    public static final long MAX_EJECTION_MILLIS = 60_000;

    private boolean healthy = true;
    private int checksFailed;
    private int checksPassed;
    private int requestsFailed;
    private int ejections;
    private long ejectedUntil = Long.MIN_VALUE;
    private String lastProblem = "";

    /** An active check's outcome, at {@code nowMillis}; {@code problem} says what failed (empty when it passed). */
    public void checked(boolean passed, String problem, long nowMillis) {
        if (passed) {
            checksFailed = 0;
            if (!healthy && ++checksPassed >= HEALTHY_AFTER) {
                healthy = true;
            }
        } else {
            checksPassed = 0;
            lastProblem = problem;
            if (++checksFailed >= UNHEALTHY_AFTER) {
                healthy = false;
            }
        }
    }

    /** A proxied request's outcome: {@code failed} for no connection, no answer or a 5xx. */
    public void served(boolean failed, String problem, long nowMillis) {
        if (!failed) {
            requestsFailed = 0;
            if (nowMillis >= ejectedUntil && ejections > 0 && nowMillis - ejectedUntil > MAX_EJECTION_MILLIS) {
                ejections = 0; // a long good run forgives earlier ejections
            }
            return;
        }
        lastProblem = problem;
        if (++requestsFailed >= EJECT_AFTER && nowMillis >= ejectedUntil) {
            ejections++;
            ejectedUntil = nowMillis + Math.min(MAX_EJECTION_MILLIS, EJECTION_MILLIS * ejections);
            requestsFailed = 0;
        }
    }

    /** True when requests may go to it: healthy by its checks, and not ejected. */
    public boolean available(long nowMillis) {
        return healthy && !ejected(nowMillis);
    }

    public boolean healthy() {
        return healthy;
    }

    public boolean ejected(long nowMillis) {
        return nowMillis < ejectedUntil;
    }

    public int ejections() {
        return ejections;
    }

    /** What last went wrong with it (empty when nothing has). */
    public String lastProblem() {
        return lastProblem;
    }
}
