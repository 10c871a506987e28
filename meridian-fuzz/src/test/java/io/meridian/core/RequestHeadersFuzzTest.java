package io.meridian.core;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meridian.core.failover.PeerWord;
import io.meridian.core.replication.SessionToken;

/**
 * What a client or a peer region puts in a request's line and headers: keys and their
 * percent-escapes, consistency levels, session tokens, conditions (If-Match, If-None-Match),
 * idempotency keys, and the failover headers peers exchange. A malformed value is refused with a
 * {@link MeridianException} (a 400 with a problem document); nothing else may escape, and PeerWord
 * leaves out what it cannot read.
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
    }

    private static void refusedOnlyAsProblems(Runnable parse) {
        try {
            parse.run();
        } catch (MeridianException refused) {
            // a 400 with a problem document
        }
    }
}
