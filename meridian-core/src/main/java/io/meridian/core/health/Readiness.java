package io.meridian.core.health;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The deep health verdict of a node. A node is {@code READY} when its storage can make a write
 * durable and it reaches every peer; {@code DEGRADED} (still serving, still ready for a load
 * balancer) when storage is fine and it reaches enough peers to be on the majority side of the
 * regions; {@code NOT_READY} when storage fails or it is cut off from the majority. One dead
 * region thus does not take the survivors out of rotation, while an isolated region does leave.
 */
public record Readiness(Status status, List<String> reasons) {

    public enum Status {
        READY, DEGRADED, NOT_READY;

        public boolean serving() {
            return this != NOT_READY;
        }

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public Readiness {
        reasons = List.copyOf(reasons);
    }

    /**
     * @param storageError empty when the storage probe succeeded
     * @param peers        this node's view of every other region
     */
    public static Readiness evaluate(Optional<String> storageError, List<PeerHealth> peers) {
        List<String> reasons = new ArrayList<>();
        storageError.ifPresent(e -> reasons.add("storage is not writable: " + e));
        long reached = peers.stream().filter(PeerHealth::reachable).count();
        for (PeerHealth p : peers) {
            if (!p.reachable()) {
                reasons.add("peer " + p.region() + " at " + p.address() + " is unreachable: "
                        + p.lastError().orElse("no answer"));
            }
        }
        int regions = peers.size() + 1;
        int majority = regions / 2 + 1;
        boolean onMajoritySide = reached + 1 >= majority;
        if (!onMajoritySide) {
            reasons.add("reaches " + reached + " of " + peers.size() + " peers; a majority of " + majority
                    + " of " + regions + " regions is needed");
        }
        Status status;
        if (storageError.isPresent() || !onMajoritySide) {
            status = Status.NOT_READY;
        } else if (reached < peers.size()) {
            status = Status.DEGRADED;
        } else {
            status = Status.READY;
        }
        return new Readiness(status, reasons);
    }
}
