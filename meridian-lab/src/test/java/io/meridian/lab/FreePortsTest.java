package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FreePortsTest {
    @AfterEach
    void clear() {
        System.clearProperty(FreePorts.RANGE);
    }

    @Test
    void portsComeFromTheRangeDistinctAndFreeAndAreNotHandedOutAgain() throws Exception {
        System.setProperty(FreePorts.RANGE, "23000-23199");
        List<Integer> first = FreePorts.pick(40, 1);
        assertThat(first).hasSize(41).allSatisfy(p -> assertThat(p).isBetween(23000, 23199));
        assertThat(new HashSet<>(first)).hasSize(41);
        // a port in use is not picked
        try (java.net.ServerSocket busy = new java.net.ServerSocket(23000, 1, java.net.InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 3; i++) {
                List<Integer> again = FreePorts.pick(40, 0);
                assertThat(again).doesNotContain(23000).doesNotContainAnyElementsOf(first);
            }
        }
    }

    @Test
    void withoutARangeTheKernelChoosesAndABadRangeIsRefused() {
        assertThat(FreePorts.pick(5, 1)).hasSize(6).allSatisfy(p -> assertThat(p).isPositive());
        System.setProperty(FreePorts.RANGE, "80-90");
        assertThatThrownBy(() -> FreePorts.pick(1, 0)).hasMessageContaining("at least 100 ports");
        System.setProperty(FreePorts.RANGE, "lots");
        assertThatThrownBy(() -> FreePorts.pick(1, 0)).hasMessageContaining("LOW-HIGH");
    }
}
