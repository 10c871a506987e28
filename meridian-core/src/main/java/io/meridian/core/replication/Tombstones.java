package io.meridian.core.replication;

import java.util.Collection;
import java.util.Map;

/**
 * When a delete's tombstone may be dropped. Not as soon as every region has applied it: a write
 * made concurrently with the delete, still on its way here, must meet the tombstone to be
 * resolved against it the same way everywhere; meeting an absent key, it would come back to
 * life. So a tombstone goes only when every region has applied it and this region has applied
 * every write each of them had made by then (each region's acknowledgement names both).
 */
public final class Tombstones {
    private Tombstones() {
    }

    /**
     * @param tombstone  the key's current entry, a delete
     * @param applied    this region's watermarks
     * @param peerAcks   the latest watermarks each peer acknowledged to this region
     * @param peers      every other region
     */
    public static boolean collectible(Entry tombstone, VersionVector applied, Map<String, VersionVector> peerAcks,
                                      Collection<String> peers) {
        if (!tombstone.isTombstone() || applied.get(tombstone.origin()) < tombstone.seq()) {
            return false;
        }
        for (String peer : peers) {
            VersionVector ack = peerAcks.get(peer);
            if (ack == null || ack.get(tombstone.origin()) < tombstone.seq() || applied.get(peer) < ack.get(peer)) {
                return false;
            }
        }
        return true;
    }
}
