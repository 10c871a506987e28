package io.meridian.core.txn;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;

/** A transaction's body as a client sends it: refused only as {@code invalid-transaction} (a 400). */
class TxnFuzzTest {
    @FuzzTest
    void body(byte[] body) {
        try {
            TxnParser.parse(body);
        } catch (MeridianException refused) {
            if (refused.type() != ProblemType.INVALID_TRANSACTION) {
                throw refused;
            }
        }
    }
}
