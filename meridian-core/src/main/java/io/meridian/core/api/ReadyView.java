package io.meridian.core.api;

import java.util.List;

/**
 * {@code GET /ready}: whether the region serves, and why not.
 *
 * @param status {@code ready}, {@code degraded} or {@code not-ready}
 */
public record ReadyView(String status, String region, boolean storageWritable, List<ClusterView.Peer> peers,
                        List<String> reasons) {
}
