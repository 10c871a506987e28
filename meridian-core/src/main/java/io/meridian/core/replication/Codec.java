package io.meridian.core.replication;

import io.meridian.core.Idempotency;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Binary forms of replication data, used on disk (the log and the keys' current entries) and on
 * the wire between regions. Big-endian, length-prefixed; a leading format byte on every entry
 * lets a later version change the layout. What is read back is checked as strictly as what is
 * written: a malformed record throws with what was found.
 */
public final class Codec {
    static final byte ENTRY_FORMAT = 1;
    /** An entry with an idempotency key: format 1's fields, then the key, the request's fingerprint and whether it created its key. */
    static final byte ENTRY_FORMAT_IDEMPOTENT = 2;
    /** Bounds on what a decoder accepts before allocating. */
    static final int MAX_VALUE_BYTES = 64 << 20;
    static final int MAX_ORIGINS = 1024;
    static final int MAX_BATCH_ENTRIES = 100_000;

    private Codec() {
    }

    // ---- entries ----

    /** {@link #writeEntry}'s bytes, written into one array of their exact size (every commit encodes its entry and key state). */
    public static byte[] encode(Entry e) {
        byte[] bytes = new byte[Exact.entrySize(e)];
        int end = Exact.putEntry(bytes, 0, e);
        assert end == bytes.length;
        return bytes;
    }

    public static Entry decodeEntry(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            Entry e = readEntry(in);
            if (in.available() != 0) {
                throw new IllegalArgumentException(in.available() + " trailing bytes after " + e.stamp());
            }
            return e;
        } catch (IOException ex) {
            throw new IllegalArgumentException("malformed entry of " + bytes.length + " bytes: " + ex, ex);
        }
    }

    static void writeEntry(DataOutputStream out, Entry e) throws IOException {
        out.writeByte(e.idempotency().isNone() ? ENTRY_FORMAT : ENTRY_FORMAT_IDEMPOTENT);
        out.writeUTF(e.origin());
        out.writeLong(e.seq());
        out.writeLong(e.hlc().physicalMillis());
        out.writeInt(e.hlc().logical());
        out.writeUTF(e.keyspace());
        out.writeUTF(e.key());
        out.writeByte(e.op().ordinal());
        out.writeUTF(e.contentType());
        out.writeUTF(e.home());
        writeVector(out, e.context());
        out.writeInt(e.value().length);
        out.write(e.value());
        if (!e.idempotency().isNone()) {
            out.writeUTF(e.idempotency().key());
            out.writeLong(e.idempotency().fingerprint());
            out.writeBoolean(e.idempotency().created());
        }
    }

    /**
     * {@link #writeEntry} without a stream: the size first, then the bytes into an array of that
     * size, byte for byte what {@link DataOutputStream} writes (big-endian; strings in its
     * modified UTF-8 behind a two-byte length). A stream grows its buffer, keeps one for each
     * string and copies the whole out at the end: at a region receiving a thousand writes a
     * second that was a fifth of its garbage.
     */
    static final class Exact {
        private static final java.lang.invoke.VarHandle LONG =
                java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
        private static final java.lang.invoke.VarHandle INT =
                java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);

        private Exact() {
        }

        static int entrySize(Entry e) {
            int size = 1 + utf(e.origin()) + 8 + 8 + 4 + utf(e.keyspace()) + utf(e.key()) + 1 + utf(e.contentType())
                    + utf(e.home()) + 2 + 4 + e.value().length;
            for (String origin : e.context().seqs().keySet()) {
                size += utf(origin) + 8;
            }
            if (!e.idempotency().isNone()) {
                size += utf(e.idempotency().key()) + 8 + 1;
            }
            return size;
        }

        static int putEntry(byte[] b, int p, Entry e) {
            b[p++] = e.idempotency().isNone() ? ENTRY_FORMAT : ENTRY_FORMAT_IDEMPOTENT;
            p = putUtf(b, p, e.origin());
            p = putLong(b, p, e.seq());
            p = putLong(b, p, e.hlc().physicalMillis());
            INT.set(b, p, e.hlc().logical());
            p += 4;
            p = putUtf(b, p, e.keyspace());
            p = putUtf(b, p, e.key());
            b[p++] = (byte) e.op().ordinal();
            p = putUtf(b, p, e.contentType());
            p = putUtf(b, p, e.home());
            Map<String, Long> context = e.context().seqs();
            p = putShort(b, p, context.size());
            for (Map.Entry<String, Long> c : context.entrySet()) {
                p = putUtf(b, p, c.getKey());
                p = putLong(b, p, c.getValue());
            }
            INT.set(b, p, e.value().length);
            p += 4;
            System.arraycopy(e.value(), 0, b, p, e.value().length);
            p += e.value().length;
            if (!e.idempotency().isNone()) {
                p = putUtf(b, p, e.idempotency().key());
                p = putLong(b, p, e.idempotency().fingerprint());
                b[p++] = (byte) (e.idempotency().created() ? 1 : 0);
            }
            return p;
        }

        /** The bytes {@link DataOutputStream#writeUTF} writes for {@code s}, its length included. */
        static int utf(String s) {
            int n = s.length();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 0 || c > 0x7F) {
                    n += c > 0x7FF ? 2 : 1;
                }
            }
            if (n > 0xFFFF) {
                throw new UncheckedIOException(new java.io.UTFDataFormatException(
                        "a string of " + n + " bytes in modified UTF-8, more than 65535: " + s.substring(0, 8) + "..."));
            }
            return 2 + n;
        }

        static int putUtf(byte[] b, int p, String s) {
            int start = p;
            p += 2;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c != 0 && c <= 0x7F) {
                    b[p++] = (byte) c;
                } else if (c <= 0x7FF) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else {
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            putShort(b, start, p - start - 2);
            return p;
        }

        static int putShort(byte[] b, int p, int v) {
            b[p] = (byte) (v >>> 8);
            b[p + 1] = (byte) v;
            return p + 2;
        }

        static int putLong(byte[] b, int p, long v) {
            LONG.set(b, p, v);
            return p + 8;
        }
    }

    static Entry readEntry(DataInputStream in) throws IOException {
        byte format = in.readByte();
        if (format != ENTRY_FORMAT && format != ENTRY_FORMAT_IDEMPOTENT) {
            throw new IOException("entry format " + format + "; this version reads formats " + ENTRY_FORMAT + " and "
                    + ENTRY_FORMAT_IDEMPOTENT);
        }
        String origin = in.readUTF();
        long seq = in.readLong();
        Hlc hlc = new Hlc(in.readLong(), in.readInt());
        String keyspace = in.readUTF();
        String key = in.readUTF();
        int op = in.readByte();
        if (op < 0 || op >= Entry.Op.values().length) {
            throw new IOException("operation " + op);
        }
        String contentType = in.readUTF();
        String home = in.readUTF();
        VersionVector context = readVector(in);
        int length = in.readInt();
        if (length < 0 || length > MAX_VALUE_BYTES) {
            throw new IOException("value length " + length);
        }
        byte[] value = in.readNBytes(length);
        if (value.length != length) {
            throw new IOException("value truncated at " + value.length + " of " + length + " bytes");
        }
        try {
            Idempotency idempotency = format == ENTRY_FORMAT_IDEMPOTENT
                    ? new Idempotency(in.readUTF(), in.readLong(), in.readBoolean()) : Idempotency.NONE;
            if (format == ENTRY_FORMAT_IDEMPOTENT && idempotency.isNone()) {
                throw new IOException("an entry in format " + format + " with no idempotency key");
            }
            return new Entry(origin, seq, hlc, keyspace, key, Entry.Op.values()[op], value, contentType, home, context,
                    idempotency);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static void writeVector(DataOutputStream out, VersionVector v) throws IOException {
        out.writeShort(v.seqs().size());
        for (Map.Entry<String, Long> e : v.seqs().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    static VersionVector readVector(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        if (n > MAX_ORIGINS) {
            throw new IOException(n + " origins in a version vector");
        }
        Map<String, Long> seqs = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String origin = in.readUTF();
            long seq = in.readLong();
            if (seq < 0) {
                throw new IOException("negative sequence for " + origin);
            }
            seqs.put(origin, seq);
        }
        return new VersionVector(seqs);
    }

    public static byte[] encode(VersionVector v) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeVector(out, v);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    public static VersionVector decodeVector(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return readVector(in);
        } catch (IOException ex) {
            throw new IllegalArgumentException("malformed version vector: " + ex, ex);
        }
    }

    // ---- key states ----

    static final byte STATE_FORMAT = 2;

    /** A key's state: {@code [format][winner index:2][count:2][entries...]}. */
    public static byte[] encode(KeyState state) {
        int size = 5;
        for (Entry e : state.siblings()) {
            size += Exact.entrySize(e);
        }
        byte[] bytes = new byte[size];
        bytes[0] = STATE_FORMAT;
        int p = Exact.putShort(bytes, 1, state.winnerIndex());
        p = Exact.putShort(bytes, p, state.siblings().size());
        for (Entry e : state.siblings()) {
            p = Exact.putEntry(bytes, p, e);
        }
        assert p == size;
        return bytes;
    }

    public static KeyState decodeState(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != STATE_FORMAT) {
                throw new IOException("key state format " + format + "; this version reads format " + STATE_FORMAT);
            }
            int winner = in.readUnsignedShort();
            int n = in.readUnsignedShort();
            if (n == 0 || n > MAX_ORIGINS) {
                throw new IOException(n + " siblings");
            }
            List<Entry> siblings = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                siblings.add(readEntry(in));
            }
            if (in.available() != 0) {
                throw new IOException(in.available() + " trailing bytes");
            }
            return new KeyState(siblings, winner);
        } catch (IOException | IllegalArgumentException ex) {
            throw new IllegalArgumentException("malformed key state of " + bytes.length + " bytes: " + ex.getMessage(), ex);
        }
    }

    // ---- conflicts ----

    public static byte[] encode(Conflict c) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(ENTRY_FORMAT);
            out.writeUTF(c.rule());
            out.writeUTF(c.detectedBy());
            writeEntry(out, c.winner());
            writeEntry(out, c.loser());
            // Appended later: absent in older records (read as unknown).
            out.writeByte(c.answered() == null ? 0 : c.answered() ? 1 : 2);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    public static Conflict decodeConflict(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != ENTRY_FORMAT) {
                throw new IOException("conflict format " + format);
            }
            String rule = in.readUTF();
            String detectedBy = in.readUTF();
            Entry winner = readEntry(in);
            Entry loser = readEntry(in);
            int answered = in.available() > 0 ? in.readByte() : 0;
            return new Conflict(winner.keyspace(), winner.key(), winner, loser, rule, detectedBy,
                    answered == 0 ? null : answered == 1);
        } catch (IOException ex) {
            throw new IllegalArgumentException("malformed conflict record: " + ex.getMessage(), ex);
        }
    }

    // ---- stream messages ----

    /**
     * What flows on a replication stream. Batches and acknowledgements, the stream's traffic, are
     * encoded by {@link StreamCodec} (types 8 and 9; types 2 and 3 were their self-contained forms
     * before it and are no longer read); the others here (types 1, 4 to 7 and 11).
     */
    public sealed interface Message {
        /** Receiver to sender: send me these origins' writes after these sequences. */
        record Subscribe(String region, Map<String, Long> from) implements Message {
            public Subscribe {
                from = Map.copyOf(from);
            }
        }

        /**
         * Sender to receiver: entries (possibly none: a heartbeat), the sender's own watermarks,
         * and its wall clock when it sent, so the receiver can bound its staleness.
         */
        record Batch(String region, long sentAtMillis, VersionVector watermarks, List<Entry> entries) implements Message {
            public Batch {
                entries = List.copyOf(entries);
            }
        }

        /** Receiver to sender: everything I have applied. */
        record Ack(String region, VersionVector watermarks) implements Message {
        }

        /** Sender to receiver: you are behind what my log still holds; fetch a snapshot from me. */
        record SnapshotNeeded(String region) implements Message {
        }

        /** Asks a region for a snapshot of its replicated keyspaces. */
        record SnapshotRequest(String region) implements Message {
        }

        /** Some keys' current states, part of a snapshot. */
        record SnapshotChunk(List<Entry> states) implements Message {
            public SnapshotChunk {
                states = List.copyOf(states);
            }
        }

        /** The end of a snapshot: the watermarks and HLC high-water mark it matches, and how many states it held. */
        record SnapshotEnd(VersionVector watermarks, Hlc highest, long states) implements Message {
        }

        /**
         * Sender to receiver, just before a batch: the trace context (W3C trace context) of those of
         * its writes that were made in a traced request, so that each region's apply of such a write
         * joins the write's trace. Sent only when some write of the batch was traced.
         */
        record Traces(List<Trace> traces) implements Message {
            public Traces {
                traces = List.copyOf(traces);
            }
        }
    }

    /**
     * A write's trace context: the trace it belongs to and the span that made it.
     *
     * @param traceId 32 lower-case hex digits
     * @param spanId  16 lower-case hex digits
     * @param sampled whether the trace is recorded (W3C's sampled flag)
     */
    public record Trace(String origin, long seq, String traceId, String spanId, boolean sampled) {
        public Trace {
            if (!HEX32.matcher(traceId).matches() || !HEX16.matcher(spanId).matches()) {
                throw new IllegalArgumentException("not a W3C trace context: trace " + traceId + ", span " + spanId);
            }
        }
    }

    private static final java.util.regex.Pattern HEX32 = java.util.regex.Pattern.compile("[0-9a-f]{32}");
    private static final java.util.regex.Pattern HEX16 = java.util.regex.Pattern.compile("[0-9a-f]{16}");
    /** Traces sent before one batch, at most: a batch holds at most this many entries. */
    static final int MAX_TRACES = 100_000;

    public static byte[] encode(Message m) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            switch (m) {
                case Message.Subscribe s -> {
                    out.writeByte(1);
                    out.writeUTF(s.region());
                    writeVector(out, new VersionVector(s.from()));
                    out.writeShort(s.from().size());
                    for (String origin : new TreeMap<>(s.from()).keySet()) {
                        out.writeUTF(origin);
                    }
                }
                case Message.Batch b -> throw new IllegalArgumentException(
                        "a batch is encoded by its stream's StreamCodec.Encoder, not alone");
                case Message.Ack a -> throw new IllegalArgumentException(
                        "an acknowledgement is encoded by its stream's StreamCodec.Encoder, not alone");
                case Message.SnapshotNeeded n -> {
                    out.writeByte(4);
                    out.writeUTF(n.region());
                }
                case Message.SnapshotRequest r -> {
                    out.writeByte(5);
                    out.writeUTF(r.region());
                }
                case Message.SnapshotChunk c -> {
                    out.writeByte(6);
                    out.writeInt(c.states().size());
                    for (Entry e : c.states()) {
                        writeEntry(out, e);
                    }
                }
                case Message.SnapshotEnd end -> {
                    out.writeByte(7);
                    writeVector(out, end.watermarks());
                    out.writeLong(end.highest().physicalMillis());
                    out.writeInt(end.highest().logical());
                    out.writeLong(end.states());
                }
                case Message.Traces t -> {
                    out.writeByte(11);
                    out.writeInt(t.traces().size());
                    for (Trace trace : t.traces()) {
                        out.writeUTF(trace.origin());
                        out.writeLong(trace.seq());
                        out.write(java.util.HexFormat.of().parseHex(trace.traceId()));
                        out.write(java.util.HexFormat.of().parseHex(trace.spanId()));
                        out.writeBoolean(trace.sampled());
                    }
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    public static Message decodeMessage(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int type = in.readByte();
            Message m = switch (type) {
                case 1 -> {
                    String region = in.readUTF();
                    VersionVector from = readVector(in);
                    int n = in.readUnsignedShort();
                    if (n > MAX_ORIGINS) {
                        throw new IOException(n + " origins");
                    }
                    Map<String, Long> origins = new TreeMap<>();
                    for (int i = 0; i < n; i++) {
                        String origin = in.readUTF();
                        origins.put(origin, from.get(origin));
                    }
                    yield new Message.Subscribe(region, origins);
                }
                case 4 -> new Message.SnapshotNeeded(in.readUTF());
                case 5 -> new Message.SnapshotRequest(in.readUTF());
                case 6 -> {
                    int n = in.readInt();
                    if (n < 0 || n > MAX_BATCH_ENTRIES) {
                        throw new IOException(n + " states in a snapshot chunk");
                    }
                    List<Entry> states = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        states.add(readEntry(in));
                    }
                    yield new Message.SnapshotChunk(states);
                }
                case 7 -> new Message.SnapshotEnd(readVector(in), new Hlc(in.readLong(), in.readInt()), in.readLong());
                case 11 -> {
                    int n = in.readInt();
                    if (n < 0 || n > MAX_TRACES) {
                        throw new IOException(n + " traces");
                    }
                    List<Trace> traces = new ArrayList<>(Math.min(n, 1024));
                    for (int i = 0; i < n; i++) {
                        String origin = in.readUTF();
                        long seq = in.readLong();
                        byte[] traceId = in.readNBytes(16);
                        byte[] spanId = in.readNBytes(8);
                        if (traceId.length != 16 || spanId.length != 8) {
                            throw new java.io.EOFException("a trace context cut short");
                        }
                        traces.add(new Trace(origin, seq, java.util.HexFormat.of().formatHex(traceId),
                                java.util.HexFormat.of().formatHex(spanId), in.readBoolean()));
                    }
                    yield new Message.Traces(traces);
                }
                case StreamCodec.BATCH, StreamCodec.ACK -> throw new IOException("message type " + type
                        + " belongs to a stream and is read by its StreamCodec.Decoder");
                default -> throw new IOException("message type " + type);
            };
            if (in.available() != 0) {
                throw new IOException(in.available() + " trailing bytes");
            }
            return m;
        } catch (IOException ex) {
            throw new IllegalArgumentException("malformed replication message of " + bytes.length + " bytes: " + ex.getMessage(), ex);
        }
    }
}
