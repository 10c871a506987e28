package io.meridian.testkit;

import java.util.Random;

/**
 * Seeds for property laws written as seeded generators: a fresh seed each run unless one is
 * given, always printed with the flag that replays it. (Meridian does not use jqwik: its 1.10
 * release asks not to be used this way.)
 */
public final class Seeds {
    private Seeds() {
    }

    /**
     * The seed named by system property {@code property}, else a fresh one; printed either way.
     *
     * @param what names the law in the printed line
     */
    public static long seed(String what, String property) {
        Long given = Long.getLong(property);
        long seed = given != null ? given : System.nanoTime();
        System.out.println(what + ": seed " + seed + (given != null ? " (given)" : "") + "; replay with -D" + property + "=" + seed);
        return seed;
    }

    /** A generator on {@link #seed(String, String)}. */
    public static Random random(String what, String property) {
        return new Random(seed(what, property));
    }
}
