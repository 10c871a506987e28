package io.meridian.core.events;

import io.meridian.core.replication.Hlc;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary forms of events. Versioned:
 *
 * <pre>
 * append = format(1 byte, 1) first-version(long) count(int) { event }
 * stored = format(1 byte, 1) origin seq(long) hlc(long int) position(long) version(long) event
 * event  = id type data metadata          (strings and byte strings: length(int) bytes)
 * </pre>
 *
 * An append is the value of the replicated write that carries it ({@link #CONTENT_TYPE}). A
 * snapshot sends a stream's older events as slices: appends marked {@link #SLICE_CONTENT_TYPE},
 * stamped with the stream's latest write, that fill the receiver's event store and leave the
 * stream's state alone.
 */
public final class EventCodec {
    public static final String CONTENT_TYPE = "application/vnd.meridian.events";
    public static final String SLICE_CONTENT_TYPE = "application/vnd.meridian.events-slice";
    private static final byte FORMAT = 1;
    /** An event's four lengths, each four bytes: the least one can take. */
    private static final int MIN_EVENT_BYTES = 16;

    private EventCodec() {
    }

    public static byte[] encode(Append append) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(append.firstVersion());
            out.writeInt(append.events().size());
            for (Event e : append.events()) {
                event(out, e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException when the bytes are not an append in a format this version reads */
    public static Append decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            format(in, "an append");
            long first = in.readLong();
            int n = in.readInt();
            if (n < 0 || n > in.available() / MIN_EVENT_BYTES) {
                throw new IOException(n + " events in " + in.available() + " bytes");
            }
            List<Event> events = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                events.add(event(in));
            }
            return new Append(first, events);
        } catch (IOException e) {
            throw new IllegalArgumentException("a truncated append: " + e.getMessage(), e);
        }
    }

    public static byte[] encode(StoredEvent s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            text(out, s.origin());
            out.writeLong(s.seq());
            out.writeLong(s.hlc().physicalMillis());
            out.writeInt(s.hlc().logical());
            out.writeLong(s.position());
            out.writeLong(s.version());
            event(out, s.event());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static StoredEvent decodeStored(String stream, byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            format(in, "a stored event");
            String origin = text(in);
            long seq = in.readLong();
            Hlc hlc = new Hlc(in.readLong(), in.readInt());
            long position = in.readLong();
            long version = in.readLong();
            return new StoredEvent(stream, version, event(in), origin, seq, hlc, position);
        } catch (IOException e) {
            throw new IllegalArgumentException("a truncated stored event: " + e.getMessage(), e);
        }
    }

    private static void format(DataInputStream in, String what) throws IOException {
        byte f = in.readByte();
        if (f != FORMAT) {
            throw new IllegalArgumentException(what + " in format " + f + ", which this version does not read");
        }
    }

    private static void event(DataOutputStream out, Event e) throws IOException {
        text(out, e.id());
        text(out, e.type());
        bytes(out, e.data());
        bytes(out, e.metadata());
    }

    private static Event event(DataInputStream in) throws IOException {
        return new Event(text(in), text(in), bytes(in), bytes(in));
    }

    private static void text(DataOutputStream out, String s) throws IOException {
        bytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(DataInputStream in) throws IOException {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("a length of " + n + " bytes where " + in.available() + " remain");
        }
        return in.readNBytes(n);
    }
}
