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

    /**
     * Messages as byte arrays, without gRPC's copies through a fresh 8 KiB buffer each way: the
     * outgoing stream tells gRPC its length and writes itself into the frame ({@link Drainable}),
     * and an incoming one of known length is read into an array of exactly its size (an Ack is a
     * few dozen bytes; {@code readAllBytes} would start each at 16 KiB).
     */
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new Drainable(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                if (!(stream instanceof io.grpc.KnownLength)) {
                    return stream.readAllBytes();
                }
                byte[] bytes = new byte[stream.available()]; // exact for a KnownLength stream
                int read = stream.readNBytes(bytes, 0, bytes.length);
                int next = read < bytes.length ? -1 : stream.read();
                if (next < 0) {
                    return read < bytes.length ? java.util.Arrays.copyOf(bytes, read) : bytes;
                }
                // More than it said: not gRPC's contract, but read it all rather than lose a byte.
                java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream(bytes.length + 1024);
                all.write(bytes);
                all.write(next);
                stream.transferTo(all);
                return all.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** A message on its way out: gRPC asks its length and has it write itself into the frame. */
    private static final class Drainable extends java.io.ByteArrayInputStream implements io.grpc.Drainable, io.grpc.KnownLength {
        Drainable(byte[] bytes) {
            super(bytes);
        }

        @Override
        public synchronized int drainTo(java.io.OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }

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
