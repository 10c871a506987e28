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
    private final com.fasterxml.jackson.databind.JsonNode problem;

    public MeridianClientException(ProblemType type, int status, String detail, String region, Throwable cause) {
        this(type, status, detail, region, null, cause);
    }

    /** @param problem the problem document the node answered, or null */
    public MeridianClientException(ProblemType type, int status, String detail, String region,
                                   com.fasterxml.jackson.databind.JsonNode problem, Throwable cause) {
        super(detail, cause);
        this.type = type;
        this.status = status;
        this.region = region;
        this.problem = problem;
    }

    /**
     * The problem document's members, extensions included (a 409 {@code wrong-expected-version}
     * carries {@code current_version}); empty when the node did not answer with one.
     */
    public com.fasterxml.jackson.databind.JsonNode problem() {
        return problem == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : problem;
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
