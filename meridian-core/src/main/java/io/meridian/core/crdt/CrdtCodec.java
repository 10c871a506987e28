package io.meridian.core.crdt;

import io.meridian.core.replication.Hlc;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The durable and wire form of CRDT states and deltas: what a CRDT key's replication entries
 * and snapshot states hold. Versioned binary:
 *
 * <pre>
 * state   = format(1 byte, 1) context store
 * context = count { region long }  count { region long }          (vector, then cloud)
 * store   = kind(1) ...   1 counter: count { dot p n }   2 set: count { element count { dot } }
 *                         3 register: count { dot json hlc(long int) region }
 *                         4 map: count { field store }   5 sequence: count { dot has-after [dot] value } count { dot }
 * strings = length(int) UTF-8
 * </pre>
 */
public final class CrdtCodec {
    /** The content type of CRDT values in replication entries and snapshots. */
    public static final String CONTENT_TYPE = "application/vnd.meridian.crdt";
    static final byte FORMAT = 1;

    private CrdtCodec() {
    }

    public static byte[] encode(CrdtState s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeInt(s.context().vector().size());
            for (Map.Entry<String, Long> e : s.context().vector().entrySet()) {
                text(out, e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeInt(s.context().cloud().size());
            for (Dot d : s.context().cloud()) {
                dot(out, d);
            }
            store(out, s.store());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException when the bytes are not a state in a format this version reads */
    public static CrdtState decode(byte[] bytes) {
        if (bytes.length == 0 || bytes[0] != FORMAT) {
            throw new IllegalArgumentException("a CRDT state in format " + (bytes.length == 0 ? "(empty)" : bytes[0])
                    + ", which this version does not read (it reads " + FORMAT + "): upgrade this node");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 1, bytes.length - 1))) {
            Map<String, Long> vector = new TreeMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                vector.put(text(in), in.readLong());
            }
            Set<Dot> cloud = new TreeSet<>();
            for (int i = in.readInt(); i > 0; i--) {
                cloud.add(dot(in));
            }
            return new CrdtState(store(in), new CausalContext(vector, cloud));
        } catch (IOException e) {
            throw new IllegalArgumentException("a CRDT state that cannot be read: " + e.getMessage(), e);
        }
    }

    private static void store(DataOutputStream out, DotStore store) throws IOException {
        switch (store) {
            case DotStore.Counter c -> {
                out.writeByte(1);
                out.writeInt(c.entries().size());
                for (Map.Entry<Dot, long[]> e : c.entries().entrySet()) {
                    dot(out, e.getKey());
                    out.writeLong(e.getValue()[0]);
                    out.writeLong(e.getValue()[1]);
                }
            }
            case DotStore.Elements s -> {
                out.writeByte(2);
                out.writeInt(s.elements().size());
                for (Map.Entry<String, Set<Dot>> e : s.elements().entrySet()) {
                    text(out, e.getKey());
                    out.writeInt(e.getValue().size());
                    for (Dot d : e.getValue()) {
                        dot(out, d);
                    }
                }
            }
            case DotStore.Register r -> {
                out.writeByte(3);
                out.writeInt(r.values().size());
                for (Map.Entry<Dot, DotStore.Written> e : r.values().entrySet()) {
                    dot(out, e.getKey());
                    text(out, e.getValue().json());
                    out.writeLong(e.getValue().stamp().physicalMillis());
                    out.writeInt(e.getValue().stamp().logical());
                    text(out, e.getValue().region());
                }
            }
            case DotStore.Fields f -> {
                out.writeByte(4);
                out.writeInt(f.fields().size());
                for (Map.Entry<String, DotStore> e : f.fields().entrySet()) {
                    text(out, e.getKey());
                    store(out, e.getValue());
                }
            }
            case DotStore.Sequence q -> {
                out.writeByte(5);
                out.writeInt(q.items().size());
                for (Map.Entry<Dot, DotStore.Sequence.Item> e : q.items().entrySet()) {
                    dot(out, e.getKey());
                    out.writeBoolean(e.getValue().after() != null);
                    if (e.getValue().after() != null) {
                        dot(out, e.getValue().after());
                    }
                    text(out, e.getValue().value());
                }
                out.writeInt(q.deleted().size());
                for (Dot d : q.deleted()) {
                    dot(out, d);
                }
            }
        }
    }

    private static DotStore store(DataInputStream in) throws IOException {
        byte kind = in.readByte();
        switch (kind) {
            case 1 -> {
                Map<Dot, long[]> entries = new TreeMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    entries.put(dot(in), new long[] {in.readLong(), in.readLong()});
                }
                return new DotStore.Counter(entries);
            }
            case 2 -> {
                Map<String, Set<Dot>> elements = new TreeMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    String e = text(in);
                    Set<Dot> dots = new TreeSet<>();
                    for (int j = in.readInt(); j > 0; j--) {
                        dots.add(dot(in));
                    }
                    elements.put(e, dots);
                }
                return new DotStore.Elements(elements);
            }
            case 3 -> {
                Map<Dot, DotStore.Written> values = new TreeMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    Dot d = dot(in);
                    String json = text(in);
                    Hlc stamp = new Hlc(in.readLong(), in.readInt());
                    values.put(d, new DotStore.Written(json, stamp, text(in)));
                }
                return new DotStore.Register(values);
            }
            case 4 -> {
                Map<String, DotStore> fields = new TreeMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    String f = text(in);
                    fields.put(f, store(in));
                }
                return new DotStore.Fields(fields);
            }
            case 5 -> {
                Map<Dot, DotStore.Sequence.Item> items = new TreeMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    Dot d = dot(in);
                    Dot after = in.readBoolean() ? dot(in) : null;
                    items.put(d, new DotStore.Sequence.Item(after, text(in)));
                }
                Set<Dot> deleted = new TreeSet<>();
                for (int i = in.readInt(); i > 0; i--) {
                    deleted.add(dot(in));
                }
                return new DotStore.Sequence(items, deleted);
            }
            default -> throw new IOException("unknown store kind " + kind);
        }
    }

    private static void dot(DataOutputStream out, Dot d) throws IOException {
        text(out, d.region());
        out.writeLong(d.counter());
    }

    private static Dot dot(DataInputStream in) throws IOException {
        return new Dot(text(in), in.readLong());
    }

    private static void text(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String text(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 64 * 1024 * 1024) {
            throw new IOException("a string of " + n + " bytes");
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    /** Joins two encoded states (or a state and a delta): how a CRDT keyspace's replica merges. */
    public static byte[] join(byte[] state, byte[] delta) {
        return encode(decode(state).join(decode(delta)));
    }
}
