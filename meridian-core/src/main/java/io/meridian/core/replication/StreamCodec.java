package io.meridian.core.replication;

import io.meridian.core.Idempotency;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The compact form of the messages that flow on one replication stream, where the same few
 * strings and slowly moving numbers repeat in every message. Each direction of a stream has one
 * {@link Encoder} at its sending end and one {@link Decoder} at its receiving end, created with
 * the stream and dropped with it: the stream is ordered and reliable, so both ends hold the same
 * state, message after message.
 *
 * <ul>
 *   <li>Strings (regions, keyspaces, content types, homes) are sent once and then named by a small
 *       id (at most {@link #MAX_STRINGS} per direction; past that they are sent in full).</li>
 *   <li>Numbers are varints (LEB128); those that move slowly are sent as zigzag deltas: a batch's
 *       send time from the previous batch's, each watermark from the previous one sent (only those
 *       that changed), each entry's sequence from the previous entry of its origin, its HLC from the
 *       batch's send time, its context from the batch's watermarks. A context that names only the
 *       write itself (every write of a key that no other region wrote since) is one flag bit.</li>
 * </ul>
 *
 * A 100-byte write with a 15-byte key costs about 125 bytes in a batch, where the self-contained
 * {@link Codec} entry costs about 200. Batches and acknowledgements are the only messages in this
 * form; the others are rare and keep {@link Codec}'s self-contained one.
 *
 * <p>An encoder made with {@link Compression#DEFLATE} also deflates each batch of at least
 * {@link #COMPRESS_FROM_BYTES} bytes through one deflate stream for the whole replication stream,
 * flushed at every message (as WebSocket's permessage-deflate does with context takeover): a value
 * is compressed against the values before it, so the field names and ids that JSON documents
 * repeat cost little after their first time. The decoder needs no setting: it inflates what
 * arrives deflated. Deflate is the JDK's (zlib): no native library to ship, level 1.
 */
public final class StreamCodec {
    static final byte BATCH = 8;
    static final byte ACK = 9;
    /** A batch deflated through the stream's deflate stream. */
    static final byte DEFLATED = 10;
    /** Smaller batches (heartbeats, a lone small write) go as they are: deflating them saves a few bytes at best. */
    static final int COMPRESS_FROM_BYTES = 64;
    /** Bounds what one deflated message may inflate to (a batch is at most 4 MiB of values, or one value of 64 MiB). */
    static final int MAX_INFLATED_BYTES = 128 << 20;
    /** The four bytes every flushed deflate block ends with: left off on the wire, put back before inflating. */
    private static final byte[] FLUSH_TAIL = {0, 0, (byte) 0xFF, (byte) 0xFF};
    /** Strings remembered per direction of a stream; content types are the application's choice, so this is a bound. */
    static final int MAX_STRINGS = 4096;
    static final int MAX_STRING_BYTES = 65_535;

    private static final int FLAG_DELETE = 1;
    private static final int FLAG_OWN_CONTEXT = 2;
    /** The entry carries an idempotency key: after its value, the key, the request's fingerprint and whether it created its key. */
    private static final int FLAG_IDEMPOTENT = 4;
    private static final int FLAG_CREATED = 8;
    private static final int KNOWN_FLAGS = FLAG_DELETE | FLAG_OWN_CONTEXT | FLAG_IDEMPOTENT | FLAG_CREATED;

    /** String references: a literal not remembered, a literal remembered as the next id, or an id plus this. */
    private static final int LITERAL = 0;
    private static final int DEFINE = 1;
    private static final int ID_BASE = 2;

    private StreamCodec() {
    }

    /** Whether a sender deflates its batches. */
    public enum Compression { NONE, DEFLATE }

    /**
     * The sending end of one direction of a stream. Not thread-safe: one writer at a time, in the
     * order sent. {@link #close} frees the deflater's native memory at once (else a cleaner does, later).
     */
    public static final class Encoder implements AutoCloseable {
        private final Map<String, Integer> ids = new HashMap<>();
        private final Map<String, Long> lastSeq = new HashMap<>();
        private VersionVector lastWatermarks = VersionVector.EMPTY;
        private long lastSentAt;
        private final Out out = new Out();
        private final boolean deflate;
        private Deflater deflater;
        private byte[] deflated = new byte[256];

        /** An encoder that sends everything uncompressed. */
        public Encoder() {
            this(Compression.NONE);
        }

        public Encoder(Compression compression) {
            this.deflate = compression == Compression.DEFLATE;
        }

        public byte[] encode(Codec.Message message) {
            return switch (message) {
                case Codec.Message.Batch b -> {
                    byte[] bytes = batch(b);
                    yield deflate && bytes.length >= COMPRESS_FROM_BYTES ? deflate(bytes) : bytes;
                }
                case Codec.Message.Ack a -> ack(a);
                default -> Codec.encode(message);
            };
        }

        /** {@code [DEFLATED][the message through the stream's deflater, flushed, without the flush's last four bytes]}. */
        private byte[] deflate(byte[] message) {
            if (deflater == null) {
                deflater = new Deflater(1, true);
            }
            deflater.setInput(message);
            deflated[0] = DEFLATED;
            int size = 1;
            while (true) {
                size += deflater.deflate(deflated, size, deflated.length - size, Deflater.SYNC_FLUSH);
                if (size < deflated.length) {
                    break;
                }
                deflated = Arrays.copyOf(deflated, deflated.length * 2);
            }
            if (size < 1 + FLUSH_TAIL.length
                    || !Arrays.equals(deflated, size - FLUSH_TAIL.length, size, FLUSH_TAIL, 0, FLUSH_TAIL.length)) {
                throw new IllegalStateException("a flushed deflate block did not end as flushed blocks do");
            }
            return Arrays.copyOf(deflated, size - FLUSH_TAIL.length);
        }

        @Override
        public void close() {
            if (deflater != null) {
                deflater.end();
            }
        }

        private byte[] batch(Codec.Message.Batch b) {
            out.reset();
            out.write(BATCH);
            string(b.region());
            out.zigzag(b.sentAtMillis() - lastSentAt);
            lastSentAt = b.sentAtMillis();
            watermarks(b.watermarks());
            out.varint(b.entries().size());
            for (Entry e : b.entries()) {
                entry(e, b);
            }
            return out.bytes();
        }

        private void entry(Entry e, Codec.Message.Batch b) {
            boolean ownContext = e.context().seqs().size() == 1 && e.context().get(e.origin()) == e.seq();
            Idempotency idempotency = e.idempotency();
            out.write((e.isTombstone() ? FLAG_DELETE : 0) | (ownContext ? FLAG_OWN_CONTEXT : 0)
                    | (idempotency.isNone() ? 0 : FLAG_IDEMPOTENT) | (idempotency.created() ? FLAG_CREATED : 0));
            string(e.origin());
            Long previous = lastSeq.put(e.origin(), e.seq());
            out.zigzag(e.seq() - (previous == null ? 0 : previous));
            out.zigzag(e.hlc().physicalMillis() - b.sentAtMillis());
            out.varint(e.hlc().logical());
            string(e.keyspace());
            out.bytes(e.key().getBytes(StandardCharsets.UTF_8));
            string(e.contentType());
            string(e.home());
            if (!ownContext) {
                out.varint(e.context().seqs().size());
                e.context().seqs().forEach((origin, seq) -> {
                    string(origin);
                    out.zigzag(b.watermarks().get(origin) - seq);
                });
            }
            out.bytes(e.value());
            if (!idempotency.isNone()) {
                out.bytes(idempotency.key().getBytes(StandardCharsets.US_ASCII));
                out.zigzag(idempotency.fingerprint());
            }
        }

        private byte[] ack(Codec.Message.Ack a) {
            out.reset();
            out.write(ACK);
            string(a.region());
            watermarks(a.watermarks());
            return out.bytes();
        }

        /** Only the origins whose watermark moved, each as its change. */
        private void watermarks(VersionVector next) {
            TreeSet<String> origins = new TreeSet<>(next.seqs().keySet());
            origins.addAll(lastWatermarks.seqs().keySet());
            origins.removeIf(o -> next.get(o) == lastWatermarks.get(o));
            out.varint(origins.size());
            for (String origin : origins) {
                string(origin);
                out.zigzag(next.get(origin) - lastWatermarks.get(origin));
            }
            lastWatermarks = next;
        }

        private void string(String s) {
            Integer id = ids.get(s);
            if (id != null) {
                out.varint(ID_BASE + (long) id);
                return;
            }
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            if (utf8.length > MAX_STRING_BYTES) {
                throw new IllegalArgumentException("a string of " + utf8.length + " bytes; at most " + MAX_STRING_BYTES);
            }
            if (ids.size() < MAX_STRINGS) {
                ids.put(s, ids.size());
                out.varint(DEFINE);
            } else {
                out.varint(LITERAL);
            }
            out.bytes(utf8);
        }
    }

    /**
     * The receiving end of one direction of a stream. Not thread-safe: messages are decoded in the
     * order received. {@link #close} frees the inflater's native memory at once (else a cleaner does, later).
     */
    public static final class Decoder implements AutoCloseable {
        private final List<String> strings = new ArrayList<>();
        private final Map<String, Long> lastSeq = new HashMap<>();
        private VersionVector lastWatermarks = VersionVector.EMPTY;
        private long lastSentAt;
        private Inflater inflater;

        /**
         * @throws IllegalArgumentException for a malformed message, naming what was wrong; the
         *                                  stream's state is then unknown and the stream must be dropped
         */
        public Codec.Message decode(byte[] bytes) {
            if (bytes.length > 0 && bytes[0] == DEFLATED) {
                byte[] inner = inflate(bytes);
                if (inner.length == 0 || inner[0] != BATCH) {
                    throw new IllegalArgumentException("malformed replication message: a deflated message of "
                            + bytes.length + " bytes that is not a batch");
                }
                return decodeCompact(inner);
            }
            if (bytes.length == 0 || (bytes[0] != BATCH && bytes[0] != ACK)) {
                return Codec.decodeMessage(bytes);
            }
            return decodeCompact(bytes);
        }

        private byte[] inflate(byte[] bytes) {
            if (inflater == null) {
                inflater = new Inflater(true);
            }
            byte[] input = Arrays.copyOfRange(bytes, 1, bytes.length + FLUSH_TAIL.length);
            System.arraycopy(FLUSH_TAIL, 0, input, bytes.length - 1, FLUSH_TAIL.length);
            inflater.setInput(input);
            byte[] out = new byte[Math.max(256, bytes.length * 4)];
            int size = 0;
            try {
                while (true) {
                    size += inflater.inflate(out, size, out.length - size);
                    if (size < out.length) {
                        break; // room left: the input is used up (or the deflate stream ended, refused below)
                    }
                    if (out.length >= MAX_INFLATED_BYTES) {
                        throw new IllegalArgumentException("a deflated message of " + bytes.length
                                + " bytes inflates past " + MAX_INFLATED_BYTES + " bytes");
                    }
                    out = Arrays.copyOf(out, (int) Math.min((long) out.length * 2, MAX_INFLATED_BYTES));
                }
            } catch (DataFormatException e) {
                throw new IllegalArgumentException("malformed replication message: a deflated message of " + bytes.length
                        + " bytes does not inflate: " + e.getMessage(), e);
            }
            if (inflater.finished() || inflater.getRemaining() != 0) {
                throw new IllegalArgumentException("malformed replication message: a deflated message of " + bytes.length
                        + " bytes ends its deflate stream or leaves bytes behind");
            }
            return Arrays.copyOf(out, size);
        }

        @Override
        public void close() {
            if (inflater != null) {
                inflater.end();
            }
        }

        private Codec.Message decodeCompact(byte[] bytes) {
            In in = new In(bytes);
            try {
                Codec.Message m = in.read() == BATCH ? batch(in) : ack(in);
                if (in.remaining() != 0) {
                    throw new IllegalArgumentException(in.remaining() + " trailing bytes");
                }
                return m;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("malformed replication message of " + bytes.length + " bytes at offset "
                        + in.position + ": " + e.getMessage(), e);
            }
        }

        private Codec.Message.Batch batch(In in) {
            String region = string(in);
            long sentAt = lastSentAt + in.zigzag();
            lastSentAt = sentAt;
            VersionVector watermarks = watermarks(in);
            long n = in.varint();
            if (n < 0 || n > Codec.MAX_BATCH_ENTRIES) {
                throw new IllegalArgumentException(n + " entries in a batch");
            }
            List<Entry> entries = new ArrayList<>((int) Math.min(n, in.remaining()));
            for (int i = 0; i < n; i++) {
                entries.add(entry(in, sentAt, watermarks));
            }
            return new Codec.Message.Batch(region, sentAt, watermarks, entries);
        }

        private Entry entry(In in, long sentAt, VersionVector watermarks) {
            int flags = in.read();
            if ((flags & ~KNOWN_FLAGS) != 0) {
                throw new IllegalArgumentException("entry flags " + flags);
            }
            String origin = string(in);
            long seq = lastSeq.getOrDefault(origin, 0L) + in.zigzag();
            lastSeq.put(origin, seq);
            long physical = sentAt + in.zigzag();
            long logical = in.varint();
            if (logical < 0 || logical > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("an HLC logical counter of " + logical);
            }
            Hlc hlc = new Hlc(physical, (int) logical);
            String keyspace = string(in);
            String key = new String(in.bytes(MAX_STRING_BYTES), StandardCharsets.UTF_8);
            String contentType = string(in);
            String home = string(in);
            VersionVector context;
            if ((flags & FLAG_OWN_CONTEXT) != 0) {
                context = new VersionVector(Map.of(origin, seq));
            } else {
                long n = in.varint();
                if (n < 0 || n > Codec.MAX_ORIGINS) {
                    throw new IllegalArgumentException(n + " origins in a context");
                }
                Map<String, Long> seqs = new TreeMap<>();
                for (int i = 0; i < n; i++) {
                    String o = string(in);
                    seqs.put(o, watermarks.get(o) - in.zigzag());
                }
                context = new VersionVector(seqs);
            }
            byte[] value = in.bytes(Codec.MAX_VALUE_BYTES);
            Idempotency idempotency = Idempotency.NONE;
            if ((flags & FLAG_IDEMPOTENT) != 0) {
                byte[] keyBytes = in.bytes(Idempotency.MAX_LENGTH);
                for (byte c : keyBytes) {
                    if (c < 0x21 || c > 0x7e) { // what Idempotency.parse accepts: visible ASCII
                        throw new IllegalArgumentException("an idempotency key with the byte " + (c & 0xFF));
                    }
                }
                if (keyBytes.length == 0) {
                    throw new IllegalArgumentException("an entry flagged idempotent with no idempotency key");
                }
                String idempotencyKey = new String(keyBytes, StandardCharsets.US_ASCII);
                idempotency = new Idempotency(idempotencyKey, in.zigzag(), (flags & FLAG_CREATED) != 0);
            }
            return new Entry(origin, seq, hlc, keyspace, key, (flags & FLAG_DELETE) != 0 ? Entry.Op.DELETE : Entry.Op.PUT,
                    value, contentType, home, context, idempotency);
        }

        private Codec.Message.Ack ack(In in) {
            return new Codec.Message.Ack(string(in), watermarks(in));
        }

        private VersionVector watermarks(In in) {
            long n = in.varint();
            if (n < 0 || n > Codec.MAX_ORIGINS) {
                throw new IllegalArgumentException(n + " origins in watermarks");
            }
            Map<String, Long> seqs = new TreeMap<>(lastWatermarks.seqs());
            for (int i = 0; i < n; i++) {
                String origin = string(in);
                seqs.put(origin, lastWatermarks.get(origin) + in.zigzag());
            }
            lastWatermarks = new VersionVector(seqs);
            return lastWatermarks;
        }

        private String string(In in) {
            long ref = in.varint();
            if (ref >= ID_BASE) {
                if (ref - ID_BASE >= strings.size()) {
                    throw new IllegalArgumentException("string id " + (ref - ID_BASE) + " of " + strings.size() + " defined");
                }
                return strings.get((int) (ref - ID_BASE));
            }
            String s = new String(in.bytes(MAX_STRING_BYTES), StandardCharsets.UTF_8);
            if (ref == DEFINE) {
                if (strings.size() >= MAX_STRINGS) {
                    throw new IllegalArgumentException("more than " + MAX_STRINGS + " strings defined");
                }
                strings.add(s);
            }
            return s;
        }
    }

    /** A growable buffer, reused for every message of an encoder. */
    private static final class Out {
        private byte[] buf = new byte[256];
        private int size;

        void reset() {
            size = 0;
        }

        void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        void varint(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[size++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[size++] = (byte) v;
        }

        void zigzag(long v) {
            varint((v << 1) ^ (v >> 63));
        }

        void bytes(byte[] b) {
            varint(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, size);
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }
    }

    private static final class In {
        private final byte[] buf;
        private int position;

        In(byte[] buf) {
            this.buf = buf;
        }

        int remaining() {
            return buf.length - position;
        }

        int read() {
            if (position >= buf.length) {
                throw new IllegalArgumentException("cut short");
            }
            return buf[position++] & 0xFF;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = read();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("a varint longer than 10 bytes");
        }

        long zigzag() {
            long v = varint();
            return (v >>> 1) ^ -(v & 1);
        }

        byte[] bytes(int max) {
            long n = varint();
            if (n < 0 || n > max) {
                throw new IllegalArgumentException("a length of " + n + " bytes; at most " + max);
            }
            if (n > remaining()) {
                throw new IllegalArgumentException("a length of " + n + " bytes with " + remaining() + " left");
            }
            byte[] b = Arrays.copyOfRange(buf, position, position + (int) n);
            position += (int) n;
            return b;
        }
    }
}
