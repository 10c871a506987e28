package io.meridian.core.routing;

import io.meridian.core.Consistency;
import io.meridian.core.KeyspaceRules;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.replication.SessionToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a request to an asynchronously replicated keyspace runs: here, in another region (and
 * why), after waiting for the session's writes, or nowhere (and why). Pure: it reads what this
 * region knows through a {@link View} and decides; the node performs the route (waits, forwards,
 * serves), and the tests drive every policy, consistency and ownership case without a network.
 *
 * <p>Reads honour {@code Meridian-Consistency}: {@code eventual} answers here; {@code session}
 * (the default) waits for this region to hold the token's writes, then goes to a region that has
 * them; {@code bounded=Δ} answers here when this copy is at most Δ stale, else goes to the region
 * that originates every write of the key (its owner, or the region acting for it), else, when the
 * key is not known here and a single region's writes may be missing, to that region.
 *
 * <p>Writes first wait for the session's writes (one of them may have moved the key's home), then
 * run in the region allowed to make them (the owner or the region acting for it, or here for data
 * written everywhere); data written everywhere that still lacks the session's writes goes to the
 * region that made them, so that it follows them instead of racing them.
 */
public final class Router {
    private Router() {
    }

    /** What a region knows when it routes: its replication watermarks and freshness, and who acts for whom. */
    public interface View {
        String region();

        /** Every region that holds data, this one included. */
        List<String> dataRegions();

        /** True when this region holds every write the token covers. */
        boolean covers(SessionToken token);

        /** A region whose writes in the token this region does not hold yet. */
        Optional<String> uncoveredOrigin(SessionToken token);

        /** How stale this region's copy of an origin's writes may be; empty when unknown (never heard from it). */
        Optional<Long> stalenessMillis(String origin);

        /** The region acting for an owner now (the owner itself unless it failed over); empty while nobody may write its keys. */
        Optional<String> acting(String keyspace, String owner);

        /** The failover epoch (0 when regions do not fail over). */
        long epoch();

        /** How long a request waits for the session's writes before it goes elsewhere. */
        long sessionWaitMillis();
    }

    /** Where a request goes. */
    public sealed interface Route {
        /** Run it here; a read reports {@code stalenessMillis} (empty: unbounded). */
        record Serve(Optional<Long> stalenessMillis) implements Route {
        }

        /** Send it to {@code region}; {@code why} is said if that fails. */
        record Forward(String region, String why) implements Route {
        }

        /** Wait up to the session bound for this region to hold the token's writes, then route again with {@code waited}. */
        record AwaitSession() implements Route {
        }

        /** Refuse it. */
        record Refuse(ProblemType type, String detail, Map<String, Object> extensions) implements Route {
            public MeridianException exception() {
                return new MeridianException(type, detail, extensions);
            }
        }
    }

    /**
     * A read of a key (or a scan: {@code key} empty).
     *
     * @param home   the key's home as this region knows it; empty when the key is unknown here or has no home
     * @param known  true when this region holds a version of the key (a tombstone counts)
     * @param waited true once the request has waited for its session
     */
    public record Read(String keyspace, String policy, Optional<String> key, Consistency consistency, SessionToken token,
                       String home, boolean known, boolean waited) {
        public Read waitedForSession() {
            return new Read(keyspace, policy, key, consistency, token, home, known, true);
        }
    }

    /**
     * A write of a key.
     *
     * @param home the key's home (the one it has, or gets with this write); empty when the keyspace has no homes
     */
    public record Write(String keyspace, String key, SessionToken token, String home, boolean waited) {
        public Write waitedForSession() {
            return new Write(keyspace, key, token, home, true);
        }
    }

    public static Route decide(Read read, KeyspaceRules rules, View view) {
        if (read.consistency() instanceof Consistency.Strong) {
            return new Route.Refuse(ProblemType.WRONG_POLICY, "strong reads need a strong keyspace; '" + read.keyspace()
                    + "' is " + read.policy() + ": ask for session, bounded=<ms> or eventual", Map.of("keyspace", read.keyspace()));
        }
        if (!(read.consistency() instanceof Consistency.Eventual) && !read.token().writes().seqs().isEmpty()
                && !view.covers(read.token())) {
            if (!read.waited()) {
                return new Route.AwaitSession();
            }
            return followSession(read.token(), view);
        }
        Optional<String> authority = authority(read.keyspace(), rules, read.home(), view);
        List<String> origins = authority.map(List::of).orElse(view.dataRegions());
        Optional<Long> staleness = staleness(origins, view);
        if (!(read.consistency() instanceof Consistency.Bounded bounded)
                || staleness.isPresent() && staleness.get() <= bounded.maxStalenessMillis()) {
            return new Route.Serve(staleness);
        }
        long bound = bounded.maxStalenessMillis();
        String why = "this copy may be " + staleness.map(s -> s + " ms").orElse("unboundedly") + " stale, over the "
                + bound + " ms asked";
        if (authority.isPresent() && !authority.get().equals(view.region())) {
            return new Route.Forward(authority.get(), why);
        }
        if (authority.isEmpty() && rules.singleOwner() && read.key().isPresent() && !read.known()) {
            // The key's home is whichever region wrote it; only a region whose writes may be missing here
            // beyond the bound can hold a write of it older than the bound. If that is one region, it has them.
            List<String> behind = new ArrayList<>();
            for (String origin : view.dataRegions()) {
                Optional<Long> s = origin.equals(view.region()) ? Optional.of(0L) : view.stalenessMillis(origin);
                if (s.isEmpty() || s.get() > bound) {
                    behind.add(origin);
                }
            }
            if (behind.size() == 1) {
                Optional<String> acting = view.acting(read.keyspace(), behind.getFirst());
                if (acting.isPresent() && !acting.get().equals(view.region())) {
                    return new Route.Forward(acting.get(), why + "; the key is not here, and only the writes of "
                            + behind.getFirst() + " may be missing");
                }
            }
        }
        return new Route.Refuse(ProblemType.UNAVAILABLE, why + ", and no region holds every write of '" + read.keyspace()
                + "' (" + read.policy() + "): retry, or relax the bound",
                Map.of("staleness_ms", staleness.orElse(-1L), "bound_ms", bound));
    }

    public static Route decide(Write write, KeyspaceRules rules, View view) {
        boolean covered = write.token().writes().seqs().isEmpty() || view.covers(write.token());
        if (!covered && !write.waited()) {
            // First the session's writes: one of them may be the key's move to another home.
            return new Route.AwaitSession();
        }
        Optional<String> owner = rules.owner(write.home());
        String writer = view.region();
        if (owner.isPresent()) {
            Optional<String> acting = view.acting(write.keyspace(), owner.get());
            if (acting.isEmpty()) {
                return new Route.Refuse(ProblemType.NOT_OWNER, "no region may write the keys of " + owner.get() + " in '"
                        + write.keyspace() + "' at epoch " + view.epoch() + ": a failover or failback is completing; retry",
                        Map.of("home", owner.get(), "epoch", view.epoch()));
            }
            writer = acting.get();
        }
        if (!writer.equals(view.region())) {
            return new Route.Forward(writer, "writes to this key are made in " + writer);
        }
        if (!covered && rules.writtenEverywhere()) {
            // Here it would race the session's writes it has not seen; where they were made, it follows them.
            return followSession(write.token(), view);
        }
        return new Route.Serve(Optional.of(0L));
    }

    /** The region that originates every write of the key, if there is one: its owner, or the region acting for it. */
    private static Optional<String> authority(String keyspace, KeyspaceRules rules, String home, View view) {
        // After a failover the acting region makes the owner's writes: freshness is measured against it,
        // and a read too stale here goes there, not to the failed owner.
        return rules.owner(home).map(owner -> view.acting(keyspace, owner).orElse(owner));
    }

    private static Optional<Long> staleness(List<String> origins, View view) {
        long worst = 0;
        for (String origin : origins) {
            if (origin.equals(view.region())) {
                continue;
            }
            Optional<Long> s = view.stalenessMillis(origin);
            if (s.isEmpty()) {
                return Optional.empty();
            }
            worst = Math.max(worst, s.get());
        }
        return Optional.of(worst);
    }

    /** To the region that made the session's writes this region lacks; never to this region itself. */
    private static Route followSession(SessionToken token, View view) {
        String origin = view.uncoveredOrigin(token).orElseThrow();
        if (origin.equals(view.region())) {
            return new Route.Refuse(ProblemType.UNAVAILABLE, "the session token names writes of " + origin
                    + " that this region does not hold (lost with its disk, or the token is from another deployment);"
                    + " start a new session, or read with Meridian-Consistency: eventual", Map.of("region", origin));
        }
        return new Route.Forward(origin, sessionWhy(view, origin));
    }

    private static String sessionWhy(View view, String origin) {
        return "this region has not yet received the session's writes (waited " + view.sessionWaitMillis() + " ms for "
                + origin + ")";
    }
}
