package io.meridian.client;

import io.meridian.core.ProblemType;

/**
 * A request the node refused (a problem document) or that could not reach it. {@link #type()}
 * is the problem's stable type, {@link ProblemType#UNAVAILABLE} when the node did not answer.
 */
public final class MeridianClientException extends RuntimeException {
    private final ProblemType type;
    private final int status;
    private final String region;

    public MeridianClientException(ProblemType type, int status, String detail, String region, Throwable cause) {
        super(detail, cause);
        this.type = type;
        this.status = status;
        this.region = region;
    }

    public ProblemType type() {
        return type;
    }

    /** The HTTP status, or 0 when no answer came. */
    public int status() {
        return status;
    }

    /** The region that refused, or null when no answer came. */
    public String region() {
        return region;
    }
}
