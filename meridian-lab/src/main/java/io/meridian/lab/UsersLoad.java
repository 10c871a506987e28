package io.meridian.lab;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Simulated users of the lab's demo shop in every region. A visit resolves the service through
 * the lab's DNS as a user of its region would (EDNS Client Subnet of the region's subnet; the
 * answer is kept for its TTL, as a resolver would), loads a static asset from the edge of the
 * region the DNS named first (as a CDN's DNS steers users to a healthy edge), then pages from
 * that region's gateway: a product, a profile, and one visit in four
 * adds to a cart. Reports per region what users saw: latency of pages and of static assets, the
 * error rate, which regions served them, and the seconds in which they saw errors.
 */
public final class UsersLoad {
    private static final int MAX_IN_FLIGHT = 256;

    /** One region's figures. {@code errorSeconds}: seconds since the start in which some request failed, with how many. */
    public record RegionReport(String region, long visits, long requests, long errors, double errorRate, double pageP50Ms,
                               double pageP99Ms, double staticP50Ms, double staticP99Ms, Map<String, Long> servedBy,
                               Map<String, Long> errorKinds, Map<Long, Long> errorSeconds) {
        /** Seconds from the first second with an error to the last, both counted; 0 without errors. */
        @com.fasterxml.jackson.annotation.JsonProperty("error_window_seconds")
        public long errorWindowSeconds() {
            return errorSeconds.isEmpty() ? 0 : java.util.Collections.max(errorSeconds.keySet())
                    - java.util.Collections.min(errorSeconds.keySet()) + 1;
        }
    }

    public record Report(double seconds, int ratePerRegion, List<RegionReport> regions) {
    }

    private final LabState.Traffic traffic;
    private final io.meridian.core.traffic.TrafficPlan plan;
    private final HttpClient http;

    /** @param tls whom the gateways and edges must prove to be, when they serve HTTPS (null: the JDK's trust) */
    public UsersLoad(LabState.Traffic traffic, io.meridian.core.traffic.TrafficPlan plan, javax.net.ssl.SSLContext tls) {
        this.traffic = traffic;
        this.plan = plan;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        this.http = (tls == null ? b : b.sslContext(tls)).build();
    }

    private static final class Region {
        final io.meridian.core.traffic.TrafficPlan.Region plan;
        final Recorder pages = new Recorder(3);
        final Recorder statics = new Recorder(3);
        final org.HdrHistogram.Histogram pageTotal = new org.HdrHistogram.Histogram(3);
        final org.HdrHistogram.Histogram staticTotal = new org.HdrHistogram.Histogram(3);
        final AtomicLong visits = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
        final Map<String, AtomicLong> errorKinds = new ConcurrentHashMap<>();
        final Map<Long, AtomicLong> errorSeconds = new ConcurrentHashMap<>();
        volatile int gatewayPort;
        /** The edge of the region the DNS named first (as a CDN's DNS steers users to a healthy edge). */
        volatile String edge;
        volatile long resolvedUntil;

        Region(io.meridian.core.traffic.TrafficPlan.Region plan) {
            this.plan = plan;
        }
    }

    /** Runs {@code ratePerRegion} visits per second in every region for {@code duration}; {@code progress} gets a line per second. */
    public Report run(int ratePerRegion, Duration duration, java.util.function.Consumer<String> progress) throws InterruptedException {
        return run(ratePerRegion, System.nanoTime() + duration.toNanos(), new java.util.concurrent.atomic.AtomicBoolean(), progress);
    }

    /** Runs {@code ratePerRegion} visits per second in every region until {@code stop} is set. */
    public Report runUntil(int ratePerRegion, java.util.concurrent.atomic.AtomicBoolean stop, java.util.function.Consumer<String> progress)
            throws InterruptedException {
        return run(ratePerRegion, Long.MAX_VALUE, stop, progress);
    }

    private Report run(int ratePerRegion, long endNanos, java.util.concurrent.atomic.AtomicBoolean stop,
                       java.util.function.Consumer<String> progress) throws InterruptedException {
        if (ratePerRegion < 1 || ratePerRegion > 1_000) {
            throw new LabException("expected a rate of 1 to 1000 visits per second per region, not " + ratePerRegion);
        }
        List<Region> regions = plan.regions().stream().map(Region::new).toList();
        Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        long start = System.nanoTime();
        long interval = 1_000_000_000L / ratePerRegion;
        List<Thread> drivers = new ArrayList<>();
        for (Region r : regions) {
            drivers.add(Thread.ofVirtual().name("users-" + r.plan.name()).start(() -> {
                long next = System.nanoTime();
                while (next - endNanos < 0 && !stop.get()) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    if (!inFlight.tryAcquire()) {
                        failed(r, start, "overloaded (256 visits in flight)");
                    } else {
                        Thread.ofVirtual().start(() -> {
                            try {
                                visit(r, start);
                            } finally {
                                inFlight.release();
                            }
                        });
                    }
                    next += interval;
                }
            }));
        }
        long lastPrint = System.nanoTime();
        while (System.nanoTime() - endNanos < 0 && !stop.get()) {
            Thread.sleep(100);
            if (System.nanoTime() - lastPrint >= 1_000_000_000L) {
                lastPrint = System.nanoTime();
                StringBuilder line = new StringBuilder(String.format("%5.1f s", (lastPrint - start) / 1e9));
                for (Region r : regions) {
                    org.HdrHistogram.Histogram p = r.pages.getIntervalHistogram();
                    r.pageTotal.add(p);
                    line.append(String.format("  %s: %d visits, %d errors, page p50 %.1f ms", r.plan.name(), r.visits.get(),
                            r.errors.get(), p.getTotalCount() == 0 ? 0.0 : p.getValueAtPercentile(50) / 1000.0));
                }
                progress.accept(line.toString());
            }
        }
        for (Thread d : drivers) {
            d.join();
        }
        inFlight.acquire(MAX_IN_FLIGHT); // every visit done
        double seconds = (System.nanoTime() - start) / 1e9;
        List<RegionReport> reports = new ArrayList<>();
        for (Region r : regions) {
            r.pageTotal.add(r.pages.getIntervalHistogram());
            r.staticTotal.add(r.statics.getIntervalHistogram());
            reports.add(new RegionReport(r.plan.name(), r.visits.get(), r.requests.get(), r.errors.get(),
                    r.requests.get() == 0 ? 0 : (double) r.errors.get() / r.requests.get(),
                    ms(r.pageTotal, 50), ms(r.pageTotal, 99), ms(r.staticTotal, 50), ms(r.staticTotal, 99),
                    counts(r.servedBy), counts(r.errorKinds), new TreeMap<>(counts(r.errorSeconds))));
        }
        return new Report(seconds, ratePerRegion, reports);
    }

    private static double ms(org.HdrHistogram.Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static <K> Map<K, Long> counts(Map<K, AtomicLong> m) {
        Map<K, Long> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    private void visit(Region r, long start) {
        r.visits.incrementAndGet();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try {
            resolve(r);
        } catch (IOException | RuntimeException e) {
            failed(r, start, "dns: " + e.getClass().getSimpleName());
            if (r.gatewayPort == 0) {
                return;
            }
        }
        get(r, start, URI.create(r.edge + "/static/app.js"), "GET", true);
        URI gateway = URI.create((r.plan.tls() ? "https" : "http") + "://127.0.0.1:" + r.gatewayPort);
        get(r, start, gateway.resolve("/product/p-" + random.nextInt(1, 21)), "GET", false);
        get(r, start, gateway.resolve("/profile/u-" + random.nextInt(1, 21)), "GET", false);
        if (random.nextInt(4) == 0) {
            get(r, start, gateway.resolve("/cart/u-" + random.nextInt(1, 21) + "?item=p-" + random.nextInt(1, 21)), "POST", false);
        }
    }

    /** The gateway a user of this region is sent to: the first SRV target, re-resolved when the TTL ends. */
    private void resolve(Region r) throws IOException {
        long now = System.nanoTime();
        if (r.gatewayPort != 0 && now < r.resolvedUntil) {
            return;
        }
        String[] dns = traffic.dnsAddress().split(":");
        SimpleResolver resolver = new SimpleResolver(InetAddress.getByName(dns[0]));
        resolver.setPort(Integer.parseInt(dns[1]));
        resolver.setTimeout(Duration.ofSeconds(2));
        Message query = Message.newQuery(Record.newRecord(Name.fromString("_" + (r.plan.tls() ? "https" : "http") + "._tcp." + traffic.serviceName() + "."), Type.SRV, DClass.IN));
        String subnet = r.plan.subnet().substring(0, r.plan.subnet().indexOf('/'));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName(subnet)))), Section.ADDITIONAL);
        Message answer = resolver.send(query);
        if (answer.getRcode() != Rcode.NOERROR) {
            throw new IOException("the DNS answered " + Rcode.string(answer.getRcode()));
        }
        SRVRecord first = answer.getSection(Section.ANSWER).stream().filter(x -> x instanceof SRVRecord).map(x -> (SRVRecord) x)
                .min(java.util.Comparator.comparingInt(SRVRecord::getPriority)).orElseThrow(() -> new IOException("no SRV record"));
        String region = first.getTarget().getLabelString(0);
        r.edge = plan.region(region).map(io.meridian.core.traffic.TrafficPlan.Region::edgeUrl).orElse(r.plan.edgeUrl());
        r.gatewayPort = first.getPort();
        r.resolvedUntil = now + first.getTTL() * 1_000_000_000L;
    }

    private void get(Region r, long start, URI uri, String method, boolean asset) {
        r.requests.incrementAndGet();
        long t0 = System.nanoTime();
        try {
            HttpResponse<Void> resp = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            long micros = (System.nanoTime() - t0) / 1_000;
            if (resp.statusCode() >= 400) {
                failed(r, start, (asset ? "edge " : "gateway ") + resp.statusCode());
                return;
            }
            (asset ? r.statics : r.pages).recordValue(Math.max(1, micros));
            if (!asset) {
                r.servedBy.computeIfAbsent(resp.headers().firstValue("Meridian-Region").orElse("?"), k -> new AtomicLong()).incrementAndGet();
            }
        } catch (IOException e) {
            failed(r, start, (asset ? "edge " : "gateway ") + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void failed(Region r, long start, String kind) {
        r.errors.incrementAndGet();
        r.errorKinds.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        r.errorSeconds.computeIfAbsent((System.nanoTime() - start) / 1_000_000_000L, k -> new AtomicLong()).incrementAndGet();
    }
}
