package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The marshaller of replication messages: no bytes lost or added, whatever the stream gRPC hands it. */
class WireTest {
    /** A stream that says how long it is, as gRPC's message streams do; {@code said} may be wrong. */
    private static final class Known extends ByteArrayInputStream implements io.grpc.KnownLength {
        private final int said;

        Known(byte[] bytes, int said) {
            super(bytes);
            this.said = said;
        }

        @Override
        public synchronized int available() {
            return Math.max(0, said - pos);
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new java.util.Random(n).nextBytes(b);
        return b;
    }

    @Test
    void anOutgoingMessageTellsItsLengthAndDrainsItselfWhole() throws IOException {
        byte[] message = bytes(40_000);
        InputStream out = Wire.BYTES.stream(message);
        assertThat(out).isInstanceOf(io.grpc.Drainable.class).isInstanceOf(io.grpc.KnownLength.class);
        assertThat(out.available()).isEqualTo(message.length);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        assertThat(((io.grpc.Drainable) out).drainTo(frame)).isEqualTo(message.length);
        assertThat(frame.toByteArray()).isEqualTo(message);
        assertThat(out.read()).isEqualTo(-1);
    }

    @Test
    void anIncomingMessageIsReadWholeWhetherItsLengthIsKnownRightOrWrong() {
        for (int n : new int[] {0, 1, 37, 16_384, 100_000}) {
            byte[] message = bytes(n);
            assertThat(Wire.BYTES.parse(new Known(message, n))).as("known length %d", n).isEqualTo(message);
            assertThat(Wire.BYTES.parse(new ByteArrayInputStream(message))).as("unknown length %d", n).isEqualTo(message);
            assertThat(Wire.BYTES.parse(new Known(message, n / 2))).as("said %d of %d", n / 2, n).isEqualTo(message);
            assertThat(Wire.BYTES.parse(new Known(message, n + 10))).as("said %d of %d", n + 10, n).isEqualTo(message);
        }
    }
}
