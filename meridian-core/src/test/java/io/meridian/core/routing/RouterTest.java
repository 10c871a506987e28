package io.meridian.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.Consistency;
import io.meridian.core.KeyspaceRules;
import io.meridian.core.Policy;
import io.meridian.core.ProblemType;
import io.meridian.core.replication.SessionToken;
import io.meridian.core.replication.VersionVector;
import io.meridian.core.routing.Router.Route;
import io.meridian.testkit.Seeds;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every policy × consistency × ownership case of the router, on a hand-made view of one region. */
class RouterTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");
    private static final KeyspaceRules PRIMARY = KeyspaceRules.of(new Policy.Primary("us-east"));
    private static final KeyspaceRules HOME = KeyspaceRules.of(new Policy.HomeRegion());
    private static final KeyspaceRules MULTI = KeyspaceRules.of(new Policy.MultiMaster("lww"));

    /** eu-west's view: it holds us-east's writes up to seq 10, heard from each region so long ago. */
    static final class FakeView implements Router.View {
        final String region;
        final Map<String, Long> staleness = new HashMap<>();
        final Map<String, Long> watermarks = new HashMap<>();
        final Map<String, String> actingFor = new HashMap<>();

        FakeView(String region) {
            this.region = region;
        }

        public String region() {
            return region;
        }

        public List<String> dataRegions() {
            return REGIONS;
        }

        public boolean covers(SessionToken token) {
            return token.satisfiedBy(new VersionVector(watermarks));
        }

        public Optional<String> uncoveredOrigin(SessionToken token) {
            return token.writes().seqs().entrySet().stream().filter(e -> watermarks.getOrDefault(e.getKey(), 0L) < e.getValue())
                    .map(Map.Entry::getKey).findFirst();
        }

        public Optional<Long> stalenessMillis(String origin) {
            return Optional.ofNullable(staleness.get(origin));
        }

        public Optional<String> acting(String keyspace, String owner) {
            String acting = actingFor.getOrDefault(owner, owner);
            return acting.isEmpty() ? Optional.empty() : Optional.of(acting);
        }

        public long epoch() {
            return 3;
        }

        public long sessionWaitMillis() {
            return 250;
        }
    }

    private static FakeView euWest(long usEastStale, long apStale) {
        FakeView v = new FakeView("eu-west");
        v.staleness.put("us-east", usEastStale);
        v.staleness.put("ap-southeast", apStale);
        v.watermarks.put("us-east", 10L);
        return v;
    }

    private static Router.Read read(String policy, Consistency c, String home, boolean known) {
        return new Router.Read("ks", policy, Optional.of("k"), c, SessionToken.EMPTY, home, known, false);
    }

    private static SessionToken token(String origin, long seq) {
        return new SessionToken(new VersionVector(Map.of(origin, seq)));
    }

    @Test
    void eventualAndSessionReadsWithACoveredTokenAnswerHere() {
        FakeView v = euWest(5_000, 5_000);
        for (KeyspaceRules rules : List.of(PRIMARY, HOME, MULTI)) {
            assertThat(Router.decide(read("p", new Consistency.Eventual(), "us-east", true), rules, v)).isInstanceOf(Route.Serve.class);
            Router.Read session = new Router.Read("ks", "p", Optional.of("k"), new Consistency.Session(), token("us-east", 10),
                    "us-east", true, false);
            assertThat(Router.decide(session, rules, v)).isInstanceOf(Route.Serve.class);
        }
    }

    @Test
    void aSessionReadThisRegionCannotCoverWaitsThenGoesToTheRegionThatHasTheWrites() {
        FakeView v = euWest(0, 0);
        Router.Read r = new Router.Read("ks", "p", Optional.of("k"), new Consistency.Session(), token("ap-southeast", 4), "", true, false);
        for (KeyspaceRules rules : List.of(PRIMARY, HOME, MULTI)) {
            assertThat(Router.decide(r, rules, v)).isEqualTo(new Route.AwaitSession());
            assertThat(Router.decide(r.waitedForSession(), rules, v)).isInstanceOfSatisfying(Route.Forward.class,
                    f -> assertThat(f.region()).isEqualTo("ap-southeast"));
        }
        Router.Read eventual = new Router.Read("ks", "p", Optional.of("k"), new Consistency.Eventual(), token("ap-southeast", 4), "",
                true, false);
        assertThat(Router.decide(eventual, MULTI, v)).as("eventual ignores the token").isInstanceOf(Route.Serve.class);
    }

    @Test
    void strongReadsAreRefusedOnAsynchronousKeyspaces() {
        Route r = Router.decide(read("primary", new Consistency.Strong(), "", true), PRIMARY, euWest(0, 0));
        assertThat(r).isInstanceOfSatisfying(Route.Refuse.class, f -> assertThat(f.type()).isEqualTo(ProblemType.WRONG_POLICY));
    }

    @Test
    void aBoundedReadIsServedWhenTheOwnersWritesAreFreshEnoughAndReportsThatStaleness() {
        FakeView v = euWest(30, 5_000);
        Route r = Router.decide(read("primary", new Consistency.Bounded(50), "", true), PRIMARY, v);
        assertThat(r).isEqualTo(new Route.Serve(Optional.of(30L)));
        assertThat(Router.decide(read("home-region", new Consistency.Bounded(50), "us-east", true), HOME, v))
                .as("the key's home is us-east: ap-southeast's staleness does not matter").isEqualTo(new Route.Serve(Optional.of(30L)));
    }

    @Test
    void aBoundedReadTooStaleHereGoesToTheOwnerOrTheRegionActingForIt() {
        FakeView v = euWest(500, 0);
        assertThat(Router.decide(read("primary", new Consistency.Bounded(50), "", true), PRIMARY, v))
                .isInstanceOfSatisfying(Route.Forward.class, f -> assertThat(f.region()).isEqualTo("us-east"));
        v.actingFor.put("us-east", "ap-southeast");
        v.staleness.put("ap-southeast", 700L);
        assertThat(Router.decide(read("home-region", new Consistency.Bounded(50), "us-east", true), HOME, v))
                .isInstanceOfSatisfying(Route.Forward.class, f -> assertThat(f.region()).isEqualTo("ap-southeast"));
        v.actingFor.put("us-east", "eu-west");
        assertThat(Router.decide(read("home-region", new Consistency.Bounded(50), "us-east", true), HOME, v))
                .as("acting here: this region makes the owner's writes").isEqualTo(new Route.Serve(Optional.of(0L)));
    }

    /** Issue 9, defect 4: the key's home holds every write of it, even when this region has not heard of the key. */
    @Test
    void aBoundedReadOfAHomeRegionKeyNotReceivedYetGoesToTheOnlyRegionWhoseWritesMayBeMissing() {
        FakeView v = euWest(10, 900);
        Route r = Router.decide(read("home-region", new Consistency.Bounded(50), "", false), HOME, v);
        assertThat(r).isInstanceOfSatisfying(Route.Forward.class, f -> assertThat(f.region()).isEqualTo("ap-southeast"));

        v.staleness.put("us-east", 800L);
        assertThat(Router.decide(read("home-region", new Consistency.Bounded(50), "", false), HOME, v))
                .as("two regions may hold it: neither is known to hold every write").isInstanceOfSatisfying(Route.Refuse.class,
                        f -> assertThat(f.type()).isEqualTo(ProblemType.UNAVAILABLE));
        v.staleness.remove("us-east");
        assertThat(Router.decide(read("home-region", new Consistency.Bounded(50), "", false), HOME, v))
                .as("never heard from us-east: it is behind too").isInstanceOf(Route.Refuse.class);
        assertThat(Router.decide(read("multi-master", new Consistency.Bounded(50), "", false), MULTI, euWest(10, 900)))
                .as("multi-master data has no region that holds every write").isInstanceOf(Route.Refuse.class);
    }

    @Test
    void writesGoToTheOwnerOrTheRegionActingForItAndAreRefusedWhileNoneMay() {
        FakeView v = euWest(0, 0);
        assertThat(Router.decide(new Router.Write("ks", "k", SessionToken.EMPTY, "", false), PRIMARY, v))
                .isInstanceOfSatisfying(Route.Forward.class, f -> assertThat(f.region()).isEqualTo("us-east"));
        assertThat(Router.decide(new Router.Write("ks", "k", SessionToken.EMPTY, "eu-west", false), HOME, v))
                .isInstanceOf(Route.Serve.class);
        v.actingFor.put("us-east", "eu-west");
        assertThat(Router.decide(new Router.Write("ks", "k", SessionToken.EMPTY, "", false), PRIMARY, v))
                .as("failed over to here").isInstanceOf(Route.Serve.class);
        v.actingFor.put("us-east", "");
        assertThat(Router.decide(new Router.Write("ks", "k", SessionToken.EMPTY, "us-east", false), HOME, v))
                .isInstanceOfSatisfying(Route.Refuse.class, f -> {
                    assertThat(f.type()).isEqualTo(ProblemType.NOT_OWNER);
                    assertThat(f.detail()).contains("epoch 3");
                });
        assertThat(Router.decide(new Router.Write("ks", "k", SessionToken.EMPTY, "", false), MULTI, v)).isInstanceOf(Route.Serve.class);
    }

    @Test
    void aWriteWaitsForTheSessionsWritesAndDataWrittenEverywhereFollowsThemElsewhereIfTheyDoNotCome() {
        FakeView v = euWest(0, 0);
        Router.Write w = new Router.Write("ks", "k", token("ap-southeast", 2), "eu-west", false);
        assertThat(Router.decide(w, MULTI, v)).isEqualTo(new Route.AwaitSession());
        assertThat(Router.decide(w.waitedForSession(), MULTI, v)).isInstanceOfSatisfying(Route.Forward.class,
                f -> assertThat(f.region()).isEqualTo("ap-southeast"));
        assertThat(Router.decide(w.waitedForSession(), HOME, v)).as("the owner writes anyway: it orders the key's writes")
                .isInstanceOf(Route.Serve.class);
        Router.Write elsewhere = new Router.Write("ks", "k", token("ap-southeast", 2), "us-east", false);
        assertThat(Router.decide(elsewhere, HOME, v)).as("the session's writes may have moved the key: wait first")
                .isEqualTo(new Route.AwaitSession());
        assertThat(Router.decide(elsewhere.waitedForSession(), HOME, v)).isInstanceOfSatisfying(Route.Forward.class,
                f -> assertThat(f.region()).isEqualTo("us-east"));
    }

    /** Laws over random views: a route never forwards to this region, and a bounded read served here is within its bound. */
    @Test
    void randomViewsNeverForwardToThisRegionAndServeBoundedReadsOnlyWithinTheBound() {
        long seed = Seeds.seed("RouterTest laws", "router.seed");
        Random random = new Random(seed);
        List<KeyspaceRules> all = List.of(PRIMARY, HOME, MULTI);
        for (int i = 0; i < 20_000; i++) {
            FakeView v = new FakeView(REGIONS.get(random.nextInt(3)));
            for (String r : REGIONS) {
                if (random.nextInt(5) > 0) {
                    v.staleness.put(r, (long) random.nextInt(200));
                }
                v.watermarks.put(r, (long) random.nextInt(5));
                if (random.nextInt(4) == 0) {
                    v.actingFor.put(r, random.nextInt(3) == 0 ? "" : REGIONS.get(random.nextInt(3)));
                }
            }
            KeyspaceRules rules = all.get(random.nextInt(3));
            String home = random.nextBoolean() ? "" : REGIONS.get(random.nextInt(3));
            SessionToken token = random.nextBoolean() ? SessionToken.EMPTY : token(REGIONS.get(random.nextInt(3)), random.nextInt(6));
            long bound = random.nextInt(200);
            Router.Read read = new Router.Read("ks", "p", Optional.of("k"), new Consistency.Bounded(bound), token, home,
                    !home.isEmpty() || random.nextBoolean(), random.nextBoolean());
            Route r = Router.decide(read, rules, v);
            String context = "seed " + seed + " case " + i + ": " + read + " " + rules + " at " + v.region;
            if (r instanceof Route.Forward f) {
                assertThat(f.region()).as(context).isNotEqualTo(v.region);
            }
            if (r instanceof Route.Serve s) {
                assertThat(s.stalenessMillis()).as(context).hasValueSatisfying(ms -> assertThat(ms).isLessThanOrEqualTo(bound));
            }
            Route w = Router.decide(new Router.Write("ks", "k", token, home, random.nextBoolean()), rules, v);
            if (w instanceof Route.Forward f) {
                assertThat(f.region()).as(context).isNotEqualTo(v.region);
            }
        }
    }
}
