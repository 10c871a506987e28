package io.meridian.lab;

import io.meridian.client.MeridianClient;
import io.meridian.client.RequestOptions;
import io.meridian.core.api.EventsView;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Measures event-log keyspaces on the running lab: appends per second in one region (single
 * events, and batches of 10) beside PUTs of a home-region keyspace in the same region; the
 * delivery of events appended at a fixed rate in one region to a Server-Sent Events subscriber
 * of {@code $all} in every other region, from each event's append time to its arrival (the
 * regions share this machine's clock, so the figure is exact), beside the emulated one-way delay,
 * the physical floor; and the replay speed of a subscription that catches up from position 1.
 */
public final class EventsBench {
    /** Closed-loop appenders. */
    static final int CONCURRENCY = 16;
    private static final int MAX_IN_FLIGHT = 256;

    private EventsBench() {
    }

    public static void run(Lab lab, String region, Duration run, int rate, PrintStream out) throws Exception {
        LabState state = lab.state().orElseThrow(() -> new LabException("no lab is running; `meridian lab up` first"));
        String events = lab.keyspaceWhere(io.meridian.core.KeyspaceRules::eventLog, "that is an event log");
        String homed = lab.keyspaceWhere(r -> r.homed() && !r.eventLog(), "of home-region keys");
        state.region(region).orElseThrow(() -> new LabException("region '" + region + "' is not in the lab"));
        Map<String, MeridianClient> clients = new LinkedHashMap<>();
        state.regions().forEach(r -> clients.put(r.name(), MeridianClient.connect(r.url(), Duration.ofSeconds(30), lab.tls().orElse(null))));
        String tag = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        RequestOptions here = RequestOptions.NONE.home(region);
        try {
            MeridianClient c = clients.get(region);
            out.printf("warming up: %d s of appends in %s%n", Math.min(5, run.toSeconds()), region);
            appends(c, events, "warm-" + tag, 1, here, Duration.ofSeconds(Math.min(5, run.toSeconds())));
            out.printf("%-46s %10s %10s %8s %8s %8s%n", "in " + region + " (" + CONCURRENCY + " writers, a stream each)",
                    "appends/s", "events/s", "p50 ms", "p99 ms", "failed");
            ClosedLoop.Result one = appends(c, events, "one-" + tag, 1, here, run);
            out.printf("%-46s %10.0f %10.0f %8.1f %8.1f %8d%n", "append 1 event to " + events, one.perSecond(), one.perSecond(),
                    one.p50Ms(), one.p99Ms(), one.failed());
            ClosedLoop.Result ten = appends(c, events, "ten-" + tag, 10, here, run);
            out.printf("%-46s %10.0f %10.0f %8.1f %8.1f %8d%n", "append 10 events to " + events, ten.perSecond(),
                    ten.perSecond() * 10, ten.p50Ms(), ten.p99Ms(), ten.failed());
            ClosedLoop.Result put = ClosedLoop.run(CONCURRENCY, run, (w, n) -> c.put(homed, "bench-" + tag + "-" + w,
                    "{}".getBytes(), "application/json", here));
            out.printf("%-46s %10.0f %10s %8.1f %8.1f %8d%n", "PUT " + homed + " (a key per writer)", put.perSecond(), "",
                    put.p50Ms(), put.p99Ms(), put.failed());

            delivery(state, clients, events, region, rate, run, tag, out);

            MeridianClient reader = clients.get(region);
            long last = reader.readAll(events, 1, 1, RequestOptions.NONE).lastPosition();
            AtomicLong seen = new AtomicLong();
            long start = System.nanoTime();
            reader.subscribe(events, "$all", 0, RequestOptions.NONE.consistency("eventual"), e -> seen.incrementAndGet() < last);
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("%nreplay: a subscription of %s/$all in %s caught up on %,d events in %.1f s: %,.0f events/s%n", events,
                    region, seen.get(), seconds, seen.get() / seconds);
        } finally {
            clients.values().forEach(MeridianClient::close);
        }
    }

    private static ClosedLoop.Result appends(MeridianClient c, String keyspace, String prefix, int batch, RequestOptions options,
                                             Duration run) throws InterruptedException {
        return ClosedLoop.run(CONCURRENCY, run, (writer, n) -> c.append(keyspace, prefix + "-" + writer, body(batch), options));
    }

    private static String body(int events) {
        StringBuilder b = new StringBuilder("{\"events\": [");
        for (int i = 0; i < events; i++) {
            b.append(i == 0 ? "" : ",").append("{\"id\":\"").append(UUID.randomUUID()).append("\",\"type\":\"Bench\",\"data\":{\"n\":")
                    .append(i).append("}}");
        }
        return b.append("]}").toString();
    }

    /**
     * Appends at {@code rate} per second (open loop: append i is due at start + i/rate) in
     * {@code region} while a subscriber of {@code $all} in every other region records each event's
     * delay from its append time to its arrival.
     */
    private static void delivery(LabState state, Map<String, MeridianClient> clients, String keyspace, String region,
                                 int rate, Duration run, String tag, PrintStream out) throws Exception {
        String stream = "delivery-" + tag;
        Map<String, Recorder> delays = new LinkedHashMap<>();
        Map<String, AtomicLong> counts = new LinkedHashMap<>();
        List<Thread> subscribers = new java.util.ArrayList<>();
        long total = (long) rate * run.toSeconds();
        for (String target : clients.keySet()) {
            if (target.equals(region)) {
                continue;
            }
            Recorder r = new Recorder(3);
            AtomicLong n = new AtomicLong();
            delays.put(target, r);
            counts.put(target, n);
            long from = clients.get(target).readAll(keyspace, 1, 1, RequestOptions.NONE).lastPosition();
            subscribers.add(Thread.ofPlatform().daemon().start(() -> clients.get(target).subscribe(keyspace, "$all", from,
                    RequestOptions.NONE.consistency("eventual"), (EventsView.EventView e) -> {
                        if (e.stream().equals(stream)) {
                            r.recordValue(Math.max(0, System.currentTimeMillis() - Instant.parse(e.time()).toEpochMilli()));
                            return n.incrementAndGet() < total;
                        }
                        return true;
                    })));
        }
        Thread.sleep(1_000); // the subscriptions are open
        MeridianClient writer = clients.get(region);
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long wait = start + i * 1_000_000_000L / rate - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            inFlight.acquire();
            Thread.ofVirtual().start(() -> {
                try {
                    writer.append(keyspace, stream, body(1), RequestOptions.NONE.home(region));
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                } finally {
                    inFlight.release();
                }
            });
        }
        inFlight.acquire(MAX_IN_FLIGHT);
        double achieved = (total - failed.get()) / ((System.nanoTime() - start) / 1e9);
        for (Thread t : subscribers) {
            t.join(60_000);
        }
        out.printf("%ndelivery of %d appends/s in %s (achieved %.0f, %d failed) to a subscriber of %s/$all in each region:%n",
                rate, region, achieved, failed.get(), keyspace);
        out.printf("%-13s %8s %8s %8s %8s %8s %9s%n", "to", "events", "p50 ms", "p90 ms", "p99 ms", "max ms", "one-way");
        for (Map.Entry<String, Recorder> d : delays.entrySet()) {
            var h = d.getValue().getIntervalHistogram();
            out.printf("%-13s %8d %8d %8d %8d %8d %9.1f%n", d.getKey(), counts.get(d.getKey()).get(), h.getValueAtPercentile(50),
                    h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getMaxValue(),
                    LabTopology.oneWayMillis(region, d.getKey()) * state.latencyScale());
        }
    }
}
