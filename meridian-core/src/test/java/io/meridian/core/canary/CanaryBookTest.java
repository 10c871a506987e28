package io.meridian.core.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.api.CanaryView;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CanaryBookTest {
    private final CanaryBook book = new CanaryBook("eu-west", List.of("us-east", "eu-west", "ap-southeast"), 1000, 0);

    private static CanaryView.Source source(CanaryView view, String name) {
        return view.sources().stream().filter(s -> s.source().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aBeatEncodesAsJsonAndOnlyABeatDecodes() {
        Canary.Beat beat = new Canary.Beat("us-east", 42, 1_764_000_000_123L);
        assertThat(new String(beat.encode(), StandardCharsets.UTF_8))
                .isEqualTo("{\"region\":\"us-east\",\"n\":42,\"at_ms\":1764000000123}");
        assertThat(Canary.Beat.decode(beat.encode())).contains(beat);
        assertThat(Canary.Beat.decode("{\"region\":\"us-east\",\"n\":-1,\"at_ms\":1}".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(Canary.Beat.decode("hello".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(Canary.Beat.decode(new byte[2048])).isEmpty();
        assertThat(Canary.Beat.decode(null)).isEmpty();
    }

    @Test
    void beatsAreNumberedOnFromTheLastOneStored() {
        CanaryBook restarted = new CanaryBook("eu-west", List.of("us-east"), 1000, 17);
        assertThat(restarted.nextBeat(5).n()).isEqualTo(18);
        assertThat(restarted.nextBeat(6)).isEqualTo(new Canary.Beat("eu-west", 19, 6));
    }

    @Test
    void stalenessIsApplyTimeHereMinusWriteTimeThereAndTheWindowGivesPercentiles() {
        for (int i = 1; i <= 100; i++) {
            assertThat(book.observed(new Canary.Beat("us-east", i, 10_000L * i), 10_000L * i + i)).hasValue(i);
        }
        CanaryView.Source s = source(book.view(1_000_100), "us-east");
        assertThat(s.seen()).isEqualTo(100);
        assertThat(s.lastN()).isEqualTo(100);
        assertThat(s.lastMs()).isEqualTo(100);
        assertThat(s.window()).isEqualTo(CanaryBook.WINDOW);
        assertThat(s.minMs()).as("the last 60 of 1..100 are 41..100").isEqualTo(41);
        assertThat(s.p50Ms()).isEqualTo(70);
        assertThat(s.p99Ms()).isEqualTo(100);
        assertThat(s.maxMs()).isEqualTo(100);
        assertThat(s.ageMs()).as("the newest beat was written at 1,000,000").isEqualTo(100);

        CanaryView.Source quiet = source(book.view(0), "ap-southeast");
        assertThat(quiet.seen()).isZero();
        assertThat(quiet.lastMs()).isNull();
        assertThat(quiet.p50Ms()).isNull();
        assertThat(quiet.minMs()).isNull();
        assertThat(quiet.ageMs()).isNull();
        assertThat(book.view(0).sources()).extracting(CanaryView.Source::source).containsExactly("us-east", "ap-southeast");
    }

    @Test
    void theAgeGrowsWhileNothingArrivesAndAnEarlyClockCountsAsZero() {
        book.observed(new Canary.Beat("us-east", 1, 5_000), 5_040);
        assertThat(book.ageMillis("us-east", 5_040)).hasValue(40);
        assertThat(book.ageMillis("us-east", 65_000)).hasValue(60_000);
        assertThat(book.observed(new Canary.Beat("us-east", 2, 70_000), 69_990)).as("the source's clock ran ahead").hasValue(0);
        assertThat(book.ageMillis("ap-southeast", 65_000)).isEmpty();
    }

    @Test
    void ownBeatsAndStrangersAreNotObserved() {
        assertThat(book.observed(new Canary.Beat("eu-west", 1, 0), 10)).isEmpty();
        assertThat(book.observed(new Canary.Beat("mars", 1, 0), 10)).isEmpty();
        assertThat(source(book.view(10), "us-east").seen()).isZero();
    }

    @Test
    void aReadOlderThanTheWriteOrMissingIsAViolationANewerOneIsFine() {
        Canary.Beat wrote = book.nextBeat(1_000);
        book.written(wrote);
        assertThat(book.probed("us-east", wrote, Optional.of(wrote), 30)).isEqualTo(CanaryBook.Outcome.OK);
        assertThat(book.probed("us-east", wrote, Optional.of(new Canary.Beat("eu-west", wrote.n() + 1, 2_000)), 40))
                .as("a later beat written meanwhile").isEqualTo(CanaryBook.Outcome.OK);
        assertThat(book.probed("us-east", wrote, Optional.of(new Canary.Beat("eu-west", wrote.n() - 1, 0)), 50))
                .isEqualTo(CanaryBook.Outcome.VIOLATION);
        assertThat(book.probed("ap-southeast", wrote, Optional.empty(), 50)).isEqualTo(CanaryBook.Outcome.VIOLATION);
        assertThat(book.probed("ap-southeast", wrote, Optional.of(new Canary.Beat("us-east", wrote.n(), 1_000)), 50))
                .as("another region's beat").isEqualTo(CanaryBook.Outcome.VIOLATION);
        book.probeFailed("ap-southeast");

        CanaryView view = book.view(2_000);
        assertThat(view.written()).isEqualTo(1);
        CanaryView.Ryw east = view.ryw().getFirst();
        assertThat(east.target()).isEqualTo("us-east");
        assertThat(east.probes()).isEqualTo(3);
        assertThat(east.violations()).isEqualTo(1);
        assertThat(east.lastViolation()).isEqualTo("beat 1 written here, read in us-east as beat 0 of eu-west");
        assertThat(east.window()).as("only answers that held are timed").isEqualTo(2);
        assertThat(east.p50Ms()).isEqualTo(30);
        assertThat(east.p99Ms()).isEqualTo(40);
        CanaryView.Ryw ap = view.ryw().get(1);
        assertThat(ap.probes()).isEqualTo(3);
        assertThat(ap.violations()).isEqualTo(2);
        assertThat(ap.failures()).isEqualTo(1);
        assertThat(ap.lastViolation()).endsWith("read in ap-southeast as beat 1 of us-east");
        assertThatThrownBy(() -> book.probed("mars", wrote, Optional.of(wrote), 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nearestRankPercentiles() {
        assertThat(CanaryBook.rank(new long[0], 0.5)).isNull();
        assertThat(CanaryBook.rank(new long[] {7}, 0.99)).isEqualTo(7);
        assertThat(CanaryBook.rank(new long[] {1, 2, 3, 4}, 0.5)).isEqualTo(2);
        assertThat(CanaryBook.rank(new long[] {1, 2, 3, 4}, 0.99)).isEqualTo(4);
    }
}
