package io.meridian.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** What the scrape says of counters that read a supplier the caller keeps no reference to. */
class NodeMetricsTest {
    @Test
    void aCounterStillReadsItsSupplierAfterACollection() throws InterruptedException {
        NodeMetrics metrics = new NodeMetrics("us-east");
        long[] counts = {3, 7};
        // A capturing lambda: nothing but the registered counter refers to it.
        Supplier<Map<String, long[]>> view = () -> Map.of("accounts", counts);
        metrics.bindStrongProposals(List.of("accounts"), view);
        view = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(metrics.scrape())
                .contains("meridian_strong_entries_total{keyspace=\"accounts\",region=\"us-east\"} 3.0")
                .contains("meridian_strong_transactions_total{keyspace=\"accounts\",region=\"us-east\"} 7.0");
    }
}
