package io.meridian.core.crdt;

/**
 * One CRDT object, or a delta of one: its contents and the dots it has seen. A state and a delta
 * have the same form; joining a delta into a state is the join of two states.
 */
public record CrdtState(DotStore store, CausalContext context) {

    public static CrdtState empty(CrdtType type) {
        return new CrdtState(type.empty(), CausalContext.EMPTY);
    }

    public CrdtState join(CrdtState other) {
        return new CrdtState(store.join(other.store, context, other.context), context.merge(other.context));
    }
}
