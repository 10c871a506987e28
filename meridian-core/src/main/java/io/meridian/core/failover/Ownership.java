package io.meridian.core.failover;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which region writes a home region's keys now. Normally the home itself; after a failover the
 * next region of the keyspace's failover order that is active; while a failback drains, or while
 * the region that would be next is itself being fenced or failing back, none.
 * Every region computes it from its copy of the {@link ControlState}, so all agree once they
 * have applied the same epoch.
 */
public final class Ownership {
    private Ownership() {
    }

    /**
     * @param order the keyspace's failover order (data regions); a home missing from it is tried first
     * @return the acting region for {@code home}, or empty while no region may write its keys
     */
    public static Optional<String> acting(ControlState state, List<String> order, String home) {
        return switch (state.status(home)) {
            // A fenced region may still hold a lease: nobody else writes its keys until it has expired.
            case ACTIVE, FENCED -> Optional.of(home);
            case DRAINING -> Optional.empty();
            case FAILED, REJOINED -> successor(state, order, home);
        };
    }

    private static Optional<String> successor(ControlState state, List<String> order, String home) {
        List<String> ring = new ArrayList<>(order);
        if (!ring.contains(home)) {
            ring.addFirst(home);
        }
        int at = ring.indexOf(home);
        for (int i = 1; i < ring.size(); i++) {
            Optional<ControlState.Region> next = state.region(ring.get((at + i) % ring.size()));
            if (next.isEmpty() || next.get().witness()) {
                continue;
            }
            switch (next.get().status()) {
                case ACTIVE -> {
                    return Optional.of(next.get().name());
                }
                // Fenced: it may be acting for this home and still hold its lease; draining: it is about to
                // become active and take this home's keys over. Either way nobody writes them until it is done.
                case FENCED, DRAINING -> {
                    return Optional.empty();
                }
                default -> {
                }
            }
        }
        return Optional.empty();
    }
}
