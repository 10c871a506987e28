package io.meridian.core;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meridian.core.auth.Authority;
import io.meridian.core.auth.Scope;
import io.meridian.core.failover.PeerWord;
import io.meridian.core.replication.SessionToken;

/**
 * What a client or a peer region puts in a request's line and headers: keys and their
 * percent-escapes, consistency levels, session tokens, conditions (If-Match, If-None-Match),
 * idempotency keys, the failover headers peers exchange, and {@code Authorization} with the token
 * scopes a {@code POST /v1/tokens} names. A malformed value is refused with a
 * {@link MeridianException} (a 400 with a problem document); nothing else may escape, and PeerWord
 * leaves out what it cannot read. No {@code Authorization} lets anyone in where no token is known.
 */
class RequestHeadersFuzzTest {
    @FuzzTest
    void headers(FuzzedDataProvider data) {
        String value = data.consumeRemainingAsString();
        refusedOnlyAsProblems(() -> Keys.validate(Keys.decodePathSegment(value)));
        refusedOnlyAsProblems(() -> Keys.validate(value));
        refusedOnlyAsProblems(() -> Consistency.parse(value));
        refusedOnlyAsProblems(() -> SessionToken.parse(Headers.SESSION, value));
        refusedOnlyAsProblems(() -> Versions.parseCondition("If-Match", value));
        refusedOnlyAsProblems(() -> Versions.parseCondition("If-None-Match", value));
        refusedOnlyAsProblems(() -> Idempotency.parse(value));
        PeerWord word = PeerWord.parse(value, value);
        PeerWord.parse(word.suspectsHeader(), word.logsHeader());
        if (!(AUTHORITY.identify(null, null, value, id -> java.util.Optional.empty(), 0) instanceof Authority.Identified.Unknown)) {
            throw new AssertionError("an Authorization header was let in with no token known: " + value);
        }
        Scope.problem(value);
    }

    private static final Authority AUTHORITY = new Authority(java.util.Set.of("ops"));

    private static void refusedOnlyAsProblems(Runnable parse) {
        try {
            parse.run();
        } catch (MeridianException refused) {
            // a 400 with a problem document
        }
    }
}
