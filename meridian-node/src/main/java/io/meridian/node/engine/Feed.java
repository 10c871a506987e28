package io.meridian.node.engine;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.replication.VersionVector;
import io.meridian.node.http.Exchange;
import io.meridian.node.replication.ReplicationEngine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * A feed served as Server-Sent Events: the items after a cursor (catch-up), then each new one as
 * this region applies it, until the client goes away or the region stops. Event-log subscriptions
 * and change feeds share it. Each item is written and flushed before the next page is read, so a
 * slow client holds its own thread back and nothing else; a quiet feed sends a comment every
 * {@link #KEEP_ALIVE}, which also finds clients that went away.
 */
final class Feed {
    /** Feeds one keyspace serves at once; each holds a server thread. */
    static final int MAX_SUBSCRIPTIONS = 64;
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    private static final int PAGE = 256;

    /** One item of a feed: its id (the cursor after it), its SSE event name, its JSON. */
    record Item(long id, String event, byte[] json) {
    }

    /** Reads up to {@code n} items after a cursor. */
    @FunctionalInterface
    interface Source {
        List<Item> after(long cursor, int n);
    }

    /** What a feed waits on between pages: a state that changes when the region applies something. */
    interface Progress {
        /** The state now (compared with {@code equals}). */
        Object now();

        /** Waits until the state differs from {@code seen}, at most {@code max}. @return the state then */
        Object awaitChange(Object seen, Duration max) throws InterruptedException;

        /** True once the region began to stop: feeds end. */
        boolean closed();
    }

    /** The progress of the asynchronously replicated keyspaces: this region's watermarks. */
    static Progress of(ReplicationEngine engine) {
        return new Progress() {
            public Object now() {
                return engine.watermarks();
            }

            public Object awaitChange(Object seen, Duration max) throws InterruptedException {
                return engine.awaitChange((VersionVector) seen, max);
            }

            public boolean closed() {
                return engine.closed();
            }
        };
    }

    private final String region;
    private final Progress progress;
    private final Semaphore permits = new Semaphore(MAX_SUBSCRIPTIONS);

    Feed(String region, ReplicationEngine engine) {
        this(region, of(engine));
    }

    Feed(String region, Progress progress) {
        this.region = region;
        this.progress = progress;
    }

    /** The cursor to resume after: {@code Last-Event-ID} when the client sends one, else {@code fallback}. */
    static long resumeAfter(Exchange ex, long fallback) {
        String last = ex.header("Last-Event-ID");
        if (last == null || last.isBlank()) {
            return fallback;
        }
        try {
            long id = Long.parseLong(last.strip());
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MeridianException(ProblemType.MALFORMED_HEADER, "Last-Event-ID '" + last + "' is not the id of an item of"
                + " this feed (a stream version, or a position)", Map.of("header", "Last-Event-ID", "value", last));
    }

    void serve(Exchange ex, String keyspace, long after, Source source) {
        if (!permits.tryAcquire()) {
            throw new MeridianException(ProblemType.TOO_MANY_SUBSCRIPTIONS, region + " serves " + MAX_SUBSCRIPTIONS
                    + " subscriptions of keyspace '" + keyspace + "' already; subscribe in another region or later");
        }
        ex.startStream(200, "text/event-stream");
        Throwable ended = null;
        try {
            ex.writeChunk((": subscribed in " + region + "\n\n").getBytes(StandardCharsets.UTF_8));
            long cursor = after;
            while (!progress.closed()) {
                Object seen = progress.now();
                List<Item> page = source.after(cursor, PAGE);
                for (Item item : page) {
                    cursor = item.id();
                    ex.writeChunk(("id: " + item.id() + "\nevent: " + item.event().replace('\n', ' ').replace('\r', ' ')
                            + "\ndata: " + new String(item.json(), StandardCharsets.UTF_8) + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
                if (page.isEmpty() && progress.awaitChange(seen, KEEP_ALIVE).equals(seen)) {
                    ex.writeChunk(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            ended = e; // the client went away
        } catch (InterruptedException e) {
            ended = e; // the node is stopping
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            ended = e;
            throw e;
        } finally {
            permits.release();
            ex.endStream(ended);
        }
    }
}
