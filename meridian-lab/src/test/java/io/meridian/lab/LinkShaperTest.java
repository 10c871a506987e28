package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinkShaperTest {
    private static final long MS = 1_000_000;

    @Test
    void aChunkArrivesOneWayDelayAfterItWasSent() {
        LinkShaper link = new LinkShaper(35 * MS, 0);
        assertThat(link.stream().due(1_000 * MS, 100, 0)).isEqualTo(1_035 * MS);
    }

    @Test
    void jitterNeverReordersAStream() {
        LinkShaper.Stream s = new LinkShaper(10 * MS, 0).stream();
        long first = s.due(0, 1, 8 * MS);
        long second = s.due(1 * MS, 1, 0);
        assertThat(first).isEqualTo(18 * MS);
        assertThat(second).isEqualTo(first);
    }

    @Test
    void aBandwidthCapSerialisesChunksSharedAcrossStreams() {
        LinkShaper link = new LinkShaper(0, 1_000); // 1,000 bytes per second
        LinkShaper.Stream a = link.stream();
        LinkShaper.Stream b = link.stream();
        assertThat(a.due(0, 500, 0)).isEqualTo(500 * MS);
        assertThat(b.due(0, 500, 0)).isEqualTo(1_000 * MS);
        assertThat(a.due(5_000 * MS, 100, 0)).isEqualTo(5_100 * MS);
    }
}
