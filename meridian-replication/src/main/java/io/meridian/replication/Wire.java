package io.meridian.replication;

import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The gRPC methods between regions: a bidirectional stream whose messages each end reads with a
 * {@link io.meridian.core.replication.StreamCodec} of its own (compact batches and acknowledgements,
 * deflated batches), and the snapshot fetch of {@link io.meridian.core.replication.Codec} messages.
 * The receiver opens the stream and sends Subscribe and Ack; the sender answers with Batches.
 * Messages are Meridian's own binary encoding rather than protobuf: no generated code. gRPC still
 * gives HTTP/2 streams, flow control and deadlines.
 */
final class Wire {
    static final String SERVICE = "meridian.Replication";
    /** Larger than any batch the sender builds ({@link Sender#BATCH_BYTES_MAX} plus one value). */
    static final int MAX_MESSAGE_BYTES = 96 << 20;

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<byte[], byte[]> STREAM = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Stream"))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    static final MethodDescriptor<byte[], byte[]> SNAPSHOT = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Snapshot"))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    /** States per snapshot chunk. */
    static final int SNAPSHOT_CHUNK_STATES = 1_000;

    private Wire() {
    }
}
