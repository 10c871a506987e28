package io.meridian.core.api;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/exposure}: what losing this region now would lose. The writes it originated and
 * acknowledged that no other region is known to hold yet, per keyspace and in total.
 *
 * @param lastSeq          this region's last write (its own sequence)
 * @param heldThrough      the highest of its sequences another region is known to hold
 * @param heldBy           per peer, how far it last said it holds this region's writes
 * @param oldestAgeMs      the oldest exposed write's age, 0 when there is none
 * @param budgetWaits      writes that waited for another region's copy (budget exceeded, or 0) since start
 * @param budgetRefusals   writes refused because their keyspace's budget was exceeded ({@code refuse})
 * @param budgetTimeouts   writes that waited and were not acknowledged: no other region held them in time
 */
public record ExposureView(String region, long lastSeq, long heldThrough, Map<String, Long> heldBy, long writes, long bytes,
                           long oldestAgeMs, List<Keyspace> keyspaces, long budgetWaits, long budgetRefusals, long budgetTimeouts) {

    /**
     * One keyspace. {@code rpoBudgetMs}, {@code onBudgetExceeded} and {@code overBudget} are
     * absent for a keyspace without a budget.
     */
    public record Keyspace(String keyspace, long writes, long bytes, long oldestAgeMs, Long rpoBudgetMs,
                           String onBudgetExceeded, Boolean overBudget) {
    }
}
