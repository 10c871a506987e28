package io.meridian.core;

/** Meridian's own HTTP headers, shared by the node and the clients. */
public final class Headers {
    /** On every response: the region that served it. On requests between nodes: the caller's region. */
    public static final String REGION = "Meridian-Region";

    private Headers() {
    }
}
