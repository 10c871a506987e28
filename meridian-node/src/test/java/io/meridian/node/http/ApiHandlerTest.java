package io.meridian.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.eclipse.jetty.io.EofException;
import org.junit.jupiter.api.Test;

class ApiHandlerTest {
    /** Found by fuzzing a region: a client hanging up mid-request was logged at ERROR as a bug. */
    @Test
    void aClientHangingUpIsToldFromABug() {
        assertThat(ApiHandler.clientWentAway(new EofException("early EOF"))).isTrue();
        assertThat(ApiHandler.clientWentAway(new IOException("read failed", new EofException()))).isTrue();
        assertThat(ApiHandler.clientWentAway(new IllegalStateException("a bug"))).isFalse();
        assertThat(ApiHandler.clientWentAway(new IOException("disk"))).isFalse();
    }
}
