package io.meridian.replication.strong;

import io.meridian.core.ProblemType;
import io.meridian.core.txn.Txn;
import io.meridian.core.txn.TxnEvaluator;
import io.meridian.core.txn.TxnParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The durable form of a strong keyspace's transactions in its Raft log, and of their outcomes:
 * versioned binary, independent of the HTTP API's JSON (renaming an API field must not change
 * what the log holds).
 *
 * <pre>
 * entry   = format(1 byte) request-id(16 bytes) compares ops(then) ops(else)
 * format  = 3                       (2 is the same without the request id, written before 0.1.2; '{', the API's
 *                                    JSON, is the format of logs written before 0.1.1: both still read)
 * request-id = the node's id of the request: a client's retry of the same request carries the same id, and
 *              the state machine answers a second entry with the same id with the first one's reply
 * compares= count(int) { tag(1) key(utf) operand }      tag: 1 exists(bool) 2 version(long) 3 equals(utf)
 *                                                             4 at-least(long) 5 at-most(long)
 * ops     = count(int) { tag(1) key(utf) operand }      tag: 1 put(value: int length + UTF-8) 2 delete 3 add(long)
 * reply   = format(1 byte, 2) kind(1)  kind: 1 committed(succeeded bool, results) 2 failed(problem slug, detail,
 *           extensions) 3 replayed (an entry applied before a restart: nobody waits for it)
 * </pre>
 *
 * A format this version does not know is an error naming it: the node must be upgraded, never
 * guess.
 */
public final class TxnCodec {
    static final byte FORMAT = 3;
    /** Entries without a request id (written before 0.1.2): still read. */
    private static final byte FORMAT_WITHOUT_ID = 2;
    /**
     * A batch: several transactions proposed at once, as one log entry (count, then each one's
     * entry in {@link #FORMAT} with its length). Applied in order, as if each were an entry of its own.
     */
    static final byte BATCH_FORMAT = 4;
    /** The format of replies: not durable (they answer one request), unchanged since 0.1.1. */
    static final byte REPLY_FORMAT = 2;
    /** The reply to a batch: each transaction's reply in {@link #REPLY_FORMAT}, in the batch's order. */
    static final byte BATCH_REPLY_FORMAT = 3;
    private static final byte LEGACY_JSON = '{';

    private TxnCodec() {
    }

    /** What applying an entry gave: the transaction's outcome, a refusal every replica agrees on, or a replay. */
    public sealed interface Reply {
        record Committed(boolean succeeded, List<TxnEvaluator.Result> results) implements Reply {
            public Committed {
                results = List.copyOf(results);
            }
        }

        record Failed(ProblemType type, String detail, Map<String, String> extensions) implements Reply {
            public Failed {
                extensions = Map.copyOf(extensions);
            }
        }

        record Replayed() implements Reply {
        }
    }

    /** A decoded log entry: the transaction, and the id of the request that proposed it (absent in older entries). */
    public record Entry(Txn txn, java.util.Optional<java.util.UUID> requestId) {
    }

    public static byte[] encode(Txn txn, java.util.UUID requestId) {
        return write(out -> {
            out.writeByte(FORMAT);
            out.writeLong(requestId.getMostSignificantBits());
            out.writeLong(requestId.getLeastSignificantBits());
            out.writeInt(txn.compares().size());
            for (Txn.Compare c : txn.compares()) {
                switch (c) {
                    case Txn.Compare.Exists e -> {
                        out.writeByte(1);
                        out.writeUTF(e.key());
                        out.writeBoolean(e.exists());
                    }
                    case Txn.Compare.Version v -> {
                        out.writeByte(2);
                        out.writeUTF(v.key());
                        out.writeLong(v.version());
                    }
                    case Txn.Compare.ValueEquals v -> {
                        out.writeByte(3);
                        out.writeUTF(v.key());
                        writeText(out, v.value());
                    }
                    case Txn.Compare.AtLeast a -> {
                        out.writeByte(4);
                        out.writeUTF(a.key());
                        out.writeLong(a.bound());
                    }
                    case Txn.Compare.AtMost a -> {
                        out.writeByte(5);
                        out.writeUTF(a.key());
                        out.writeLong(a.bound());
                    }
                }
            }
            writeOps(out, txn.then());
            writeOps(out, txn.otherwise());
        });
    }

    /** One log entry holding {@code entries} (each from {@link #encode(Txn, java.util.UUID)}), applied in this order. */
    public static byte[] encodeBatch(List<byte[]> entries) {
        return framed(BATCH_FORMAT, entries);
    }

    /** A format byte, a count, then each part with its length first: a batch and its reply. */
    private static byte[] framed(byte format, List<byte[]> parts) {
        return write(out -> {
            out.writeByte(format);
            out.writeInt(parts.size());
            for (byte[] p : parts) {
                out.writeInt(p.length);
                out.write(p);
            }
        });
    }

    private static List<byte[]> unframed(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 1, bytes.length - 1));
        int count = in.readInt();
        if (count <= 0 || count > bytes.length) {
            throw new IOException("a batch of " + count + " parts");
        }
        List<byte[]> parts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int length = in.readInt();
            if (length < 0 || length > in.available()) {
                throw new IOException("a batch part of " + length + " bytes where " + in.available() + " are left");
            }
            parts.add(in.readNBytes(length));
        }
        return parts;
    }

    /** True when a log entry is a batch ({@link #decodeBatch}), false when it holds one transaction ({@link #decode}). */
    public static boolean isBatch(byte[] entry) {
        return entry.length > 0 && entry[0] == BATCH_FORMAT;
    }

    /** The transactions of a batch entry, in order. */
    public static List<Entry> decodeBatch(byte[] entry) throws IOException {
        if (!isBatch(entry)) {
            throw new IOException("not a batch entry (format " + (entry.length == 0 ? "none" : entry[0]) + ")");
        }
        List<Entry> entries = new ArrayList<>();
        for (byte[] one : unframed(entry)) {
            if (isBatch(one)) {
                throw new IOException("a batch inside a batch entry");
            }
            entries.add(decode(one));
        }
        return entries;
    }

    /** The reply to a batch entry: each transaction's (from {@link #encode(Reply)}), in the batch's order. */
    public static byte[] encodeBatchReply(List<byte[]> replies) {
        return framed(BATCH_REPLY_FORMAT, replies);
    }

    /** Each transaction's reply to a batch entry, or the one reply of an entry that was not a batch. */
    public static List<Reply> decodeReplies(byte[] bytes) throws IOException {
        if (bytes.length == 0 || bytes[0] != BATCH_REPLY_FORMAT) {
            return List.of(decodeReply(bytes));
        }
        List<Reply> replies = new ArrayList<>();
        for (byte[] one : unframed(bytes)) {
            replies.add(decodeReply(one));
        }
        return replies;
    }

    /**
     * @throws IOException naming the format when the entry is in one this version does not read
     */
    public static Entry decode(byte[] entry) throws IOException {
        if (entry.length == 0) {
            throw new IOException("an empty transaction entry");
        }
        if (entry[0] == LEGACY_JSON) {
            return new Entry(TxnParser.parse(entry), java.util.Optional.empty());
        }
        if (entry[0] != FORMAT && entry[0] != FORMAT_WITHOUT_ID) {
            throw new IOException("a transaction entry in format " + entry[0] + ", which this version does not read"
                    + " (it reads " + FORMAT_WITHOUT_ID + ", " + FORMAT + ", batches (" + BATCH_FORMAT
                    + ") and the JSON of earlier versions): upgrade this node");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry, 1, entry.length - 1));
        java.util.Optional<java.util.UUID> requestId = entry[0] == FORMAT
                ? java.util.Optional.of(new java.util.UUID(in.readLong(), in.readLong())) : java.util.Optional.empty();
        List<Txn.Compare> compares = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) {
            byte tag = in.readByte();
            String key = in.readUTF();
            compares.add(switch (tag) {
                case 1 -> new Txn.Compare.Exists(key, in.readBoolean());
                case 2 -> new Txn.Compare.Version(key, in.readLong());
                case 3 -> new Txn.Compare.ValueEquals(key, readText(in));
                case 4 -> new Txn.Compare.AtLeast(key, in.readLong());
                case 5 -> new Txn.Compare.AtMost(key, in.readLong());
                default -> throw new IOException("unknown compare " + tag + " in a transaction entry");
            });
        }
        return new Entry(new Txn(compares, readOps(in), readOps(in)), requestId);
    }

    public static byte[] encode(Reply reply) {
        return write(out -> {
            out.writeByte(REPLY_FORMAT);
            switch (reply) {
                case Reply.Committed c -> {
                    out.writeByte(1);
                    out.writeBoolean(c.succeeded());
                    out.writeInt(c.results().size());
                    for (TxnEvaluator.Result r : c.results()) {
                        out.writeUTF(r.key());
                        out.writeLong(r.version());
                        out.writeBoolean(r.value() != null);
                        if (r.value() != null) {
                            writeText(out, r.value());
                        }
                    }
                }
                case Reply.Failed f -> {
                    out.writeByte(2);
                    out.writeUTF(f.type().uri());
                    writeText(out, f.detail());
                    out.writeInt(f.extensions().size());
                    for (Map.Entry<String, String> e : new java.util.TreeMap<>(f.extensions()).entrySet()) {
                        out.writeUTF(e.getKey());
                        writeText(out, e.getValue());
                    }
                }
                case Reply.Replayed r -> out.writeByte(3);
            }
        });
    }

    public static Reply decodeReply(byte[] bytes) throws IOException {
        if (bytes.length < 2 || bytes[0] != REPLY_FORMAT) {
            throw new IOException("a transaction reply in format " + (bytes.length == 0 ? "(empty)" : bytes[0])
                    + ", which this version does not read");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 2, bytes.length - 2));
        return switch (bytes[1]) {
            case 1 -> {
                boolean succeeded = in.readBoolean();
                List<TxnEvaluator.Result> results = new ArrayList<>();
                for (int i = in.readInt(); i > 0; i--) {
                    String key = in.readUTF();
                    long version = in.readLong();
                    results.add(new TxnEvaluator.Result(key, version, in.readBoolean() ? readText(in) : null));
                }
                yield new Reply.Committed(succeeded, results);
            }
            case 2 -> {
                ProblemType type = ProblemType.fromUri(in.readUTF());
                String detail = readText(in);
                Map<String, String> extensions = new LinkedHashMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    extensions.put(in.readUTF(), readText(in));
                }
                yield new Reply.Failed(type, detail, extensions);
            }
            case 3 -> new Reply.Replayed();
            default -> throw new IOException("unknown transaction reply kind " + bytes[1]);
        };
    }

    private static void writeOps(DataOutputStream out, List<Txn.Op> ops) throws IOException {
        out.writeInt(ops.size());
        for (Txn.Op op : ops) {
            switch (op) {
                case Txn.Op.Put p -> {
                    out.writeByte(1);
                    out.writeUTF(p.key());
                    writeText(out, p.value());
                }
                case Txn.Op.Delete d -> {
                    out.writeByte(2);
                    out.writeUTF(d.key());
                }
                case Txn.Op.Add a -> {
                    out.writeByte(3);
                    out.writeUTF(a.key());
                    out.writeLong(a.delta());
                }
            }
        }
    }

    private static List<Txn.Op> readOps(DataInputStream in) throws IOException {
        List<Txn.Op> ops = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) {
            byte tag = in.readByte();
            String key = in.readUTF();
            ops.add(switch (tag) {
                case 1 -> new Txn.Op.Put(key, readText(in));
                case 2 -> new Txn.Op.Delete(key);
                case 3 -> new Txn.Op.Add(key, in.readLong());
                default -> throw new IOException("unknown operation " + tag + " in a transaction entry");
            });
        }
        return ops;
    }

    /** Values may exceed writeUTF's 64 KiB: a length and UTF-8. */
    private static void writeText(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readText(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("a text of " + length + " bytes where " + in.available() + " remain");
        }
        return new String(in.readNBytes(length), java.nio.charset.StandardCharsets.UTF_8);
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] write(Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }
}
