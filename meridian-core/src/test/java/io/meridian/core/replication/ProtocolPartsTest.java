package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.Consistency;
import io.meridian.core.MeridianException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The small pure parts of the protocol, one behaviour per test. */
class ProtocolPartsTest {

    @Test
    void theHybridClockNeverGoesBackwardsWhateverTheWallClockDoes() {
        HybridClock clock = new HybridClock(Hlc.ZERO);
        Hlc a = clock.now(1_000);
        Hlc b = clock.now(900);                 // the wall clock jumped back
        Hlc c = clock.observe(new Hlc(5_000, 7), 950); // a peer ahead of us
        Hlc d = clock.now(960);
        assertThat(List.of(a, b, c, d)).isSortedAccordingTo(Hlc::compareTo).doesNotHaveDuplicates();
        assertThat(c).isEqualTo(new Hlc(5_000, 8));
        assertThat(clock.now(6_000)).isEqualTo(new Hlc(6_000, 0));
    }

    @Test
    void versionVectorsTellFollowingFromConcurrent() {
        VersionVector a = new VersionVector(Map.of("x", 2L));
        VersionVector ab = new VersionVector(Map.of("x", 2L, "y", 1L));
        VersionVector b = new VersionVector(Map.of("y", 1L));
        assertThat(ab.compare(a)).isEqualTo(VersionVector.Order.AFTER);
        assertThat(a.compare(ab)).isEqualTo(VersionVector.Order.BEFORE);
        assertThat(a.compare(b)).isEqualTo(VersionVector.Order.CONCURRENT);
        assertThat(a.merge(b)).isEqualTo(ab);
        assertThat(new VersionVector(Map.of("x", 0L))).isEqualTo(VersionVector.EMPTY);
    }

    @Test
    void sessionTokensAreReadableMergeableAndStrict() {
        SessionToken t = SessionToken.parse("Meridian-Session", " us-east=42,eu-west=7 ");
        assertThat(t.format()).isEqualTo("eu-west=7,us-east=42");
        assertThat(t.with(new Stamp("us-east", 43, Hlc.ZERO)).format()).isEqualTo("eu-west=7,us-east=43");
        assertThat(t.satisfiedBy(new VersionVector(Map.of("us-east", 42L, "eu-west", 9L)))).isTrue();
        assertThat(t.satisfiedBy(new VersionVector(Map.of("us-east", 41L, "eu-west", 9L)))).isFalse();
        assertThat(SessionToken.parse("Meridian-Session", "")).isEqualTo(SessionToken.EMPTY);
        for (String bad : List.of("us-east", "us-east=0", "US=1", "us-east=1;eu-west=2", "us-east=-1")) {
            assertThatThrownBy(() -> SessionToken.parse("Meridian-Session", bad)).as(bad)
                    .isInstanceOf(MeridianException.class).hasMessageContaining("'" + bad + "' is not a session token");
        }
    }

    @Test
    void consistencyLevelsParseAndNonsenseIsRefused() {
        assertThat(Consistency.parse(null)).isEqualTo(new Consistency.Session());
        assertThat(Consistency.parse("bounded=250")).isEqualTo(new Consistency.Bounded(250));
        assertThat(Consistency.parse("eventual")).isEqualTo(new Consistency.Eventual());
        for (String bad : List.of("bounded=", "bounded=-1", "bounded=1e3", "linearizable", "bounded=999999999")) {
            assertThatThrownBy(() -> Consistency.parse(bad)).as(bad).isInstanceOf(MeridianException.class);
        }
    }

    @Test
    void anUnreachableOriginIsAskedOfEveryReachablePeer() {
        List<String> regions = List.of("a", "b", "c");
        assertThat(Subscriptions.plan("a", regions, Set.of("b", "c")))
                .isEqualTo(Map.of("b", Set.of("b"), "c", Set.of("c")));
        assertThat(Subscriptions.plan("a", regions, Set.of("b")))
                .isEqualTo(Map.of("b", Set.of("b", "c")));
        assertThat(Subscriptions.plan("a", regions, Set.of())).isEmpty();
    }

    @Test
    void theOutboundWindowBoundsWhatIsInFlightAndResendsAfterSilence() {
        MemStore log = new MemStore();
        Replica origin = new Replica("a", log);
        for (int i = 0; i < 10; i++) {
            origin.write(Replica.Write.put("ks", "k" + i, "v".getBytes(StandardCharsets.UTF_8), "t/p", ""), i);
        }
        Outbound out = new Outbound("b", 4, 100);
        out.subscribe(Map.of("a", 0L), 0);
        assertThat(out.next(log, 100, 0)).extracting(Entry::seq).containsExactly(1L, 2L, 3L, 4L);
        assertThat(out.next(log, 100, 10)).as("the window is full").isEmpty();
        out.onAck(new VersionVector(Map.of("a", 2L)), 20);
        assertThat(out.next(log, 100, 30)).extracting(Entry::seq).containsExactly(5L, 6L);
        assertThat(out.next(log, 100, 200)).as("no ack for 100 ms: back to the last acknowledged point")
                .extracting(Entry::seq).containsExactly(3L, 4L, 5L, 6L);
        out.subscribe(Map.of("a", 8L), 300);
        assertThat(out.next(log, 100, 300)).extracting(Entry::seq).containsExactly(9L, 10L);
        assertThat(out.lagEntries("a", 10)).isEqualTo(2);
    }

    @Test
    void aSubscriberBehindTheRetainedLogNeedsASnapshot() {
        MemStore log = new MemStore();
        Replica origin = new Replica("a", log);
        for (int i = 0; i < 5; i++) {
            origin.write(Replica.Write.put("ks", "k", "v".getBytes(StandardCharsets.UTF_8), "t/p", ""), i);
        }
        log.log.get("a").headMap(3L).clear(); // trimmed: entries 1 and 2 are gone
        Outbound out = new Outbound("b", 100, 1_000);
        out.subscribe(Map.of("a", 0L), 0);
        assertThat(out.next(log, 100, 0)).isEmpty();
        assertThat(out.snapshotNeeded()).isTrue();
        // It installs a snapshot at a=3 and says so: the stream goes on from there, no snapshot needed any more.
        out.onAck(new VersionVector(Map.of("a", 3L)), 10);
        assertThat(out.snapshotNeeded()).isFalse();
        assertThat(out.next(log, 100, 10)).extracting(Entry::seq).containsExactly(4L, 5L);
        assertThat(out.snapshotNeeded()).isFalse();
    }
}
