package io.meridian.node.http;

import io.meridian.core.cost.Transport;
import io.meridian.core.cost.WanMeter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;

/**
 * Counts the HTTP connections other regions open to this one into a {@link WanMeter}, at this
 * (accepting) end. Every region-to-region request names its sender ({@code Meridian-Region}); when
 * such a request ends, the bytes its connection read and wrote since the previous one ended (its
 * request line, headers, body and answer, as on the wire) are counted for the sender and weighed
 * to the request's keyspace. Bytes after the last request are counted when the connection closes.
 * Requests from clients that are not regions are not WAN traffic and are not counted.
 */
public final class WanHttpMeter implements Connection.Listener {
    private final WanMeter meter;
    private final Map<Connection, Seen> seen = new ConcurrentHashMap<>();

    /** What was counted of one connection so far. Guarded by itself. */
    private static final class Seen {
        String peer;
        String label;
        long in;
        long out;
        /** Requests begun and not ended. */
        int active;
        boolean closed;
    }

    public WanHttpMeter(WanMeter meter) {
        this.meter = meter;
    }

    /**
     * The request's callback, counting its connection's bytes when it completes; the callback itself
     * when the request does not come from another region.
     *
     * @param label what the request carried, asked when it ends (its keyspace, once routed)
     */
    public Callback track(Request request, Supplier<String> label, Callback callback) {
        String peer = request.getHeaders().get(io.meridian.core.Headers.REGION);
        Connection connection = request.getConnectionMetaData().getConnection();
        if (!meter.counts(peer) || connection == null) {
            return callback;
        }
        Seen s = seen.computeIfAbsent(connection, c -> new Seen());
        synchronized (s) {
            s.active++;
            s.peer = peer;
        }
        return new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                ended(connection, s, label.get());
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                ended(connection, s, label.get());
                super.failed(x);
            }
        };
    }

    private void ended(Connection connection, Seen s, String label) {
        synchronized (s) {
            s.label = label;
            account(connection, s);
            s.active--;
            if (s.closed && s.active == 0) {
                seen.remove(connection, s);
            }
        }
    }

    /** Counts the connection's bytes since they were last counted. Holds {@code s}'s lock. */
    private void account(Connection connection, Seen s) {
        long in = Math.max(0, connection.getBytesIn() - s.in);
        long out = Math.max(0, connection.getBytesOut() - s.out);
        s.in += in;
        s.out += out;
        meter.count(s.peer, Transport.HTTP, out, in);
        meter.weigh(s.peer, Transport.HTTP, s.label == null ? WanMeter.SYSTEM : s.label, in + out);
    }

    /** Counts what the connection carried after its last request ended; forgets it once no request on it is left to end. */
    @Override
    public void onClosed(Connection connection) {
        Seen s = seen.get(connection);
        if (s == null) {
            return;
        }
        synchronized (s) {
            account(connection, s);
            s.closed = true;
            if (s.active == 0) {
                seen.remove(connection, s);
            }
        }
    }
}
