package io.meridian.core.replication;

/**
 * What the control plane says about a received write, given the failovers it has seen: apply it
 * as usual; record it as <em>lost</em> (its origin acknowledged it, then failed before shipping
 * it, and the key's writes moved to another region, so applying it now would make two writers);
 * or <em>hold</em> it (its origin failed and it is past the cutoff, but the origin has not yet
 * said how far its writes go: wait).
 */
@FunctionalInterface
public interface OriginFence {
    enum Verdict { APPLY, LOST, HOLD }

    Verdict judge(Entry e);

    OriginFence NONE = e -> Verdict.APPLY;
}
