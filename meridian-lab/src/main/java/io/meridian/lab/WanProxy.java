package io.meridian.lab;

import io.meridian.core.config.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lab's WAN emulator for another system's traffic, so that a peer (etcd, PostgreSQL) is measured
 * under the same delays as the lab: each forward listens on one address and relays to a target,
 * delaying every connection by the one-way delay between the region its source address belongs to
 * and the target's region ({@link LabTopology}, times the latency scale), or by a fixed delay.
 * Telling sources apart needs each region's processes on an address of their own (a network
 * namespace per region: {@code bench/peers/} makes them), since a peer's members all dial the one
 * address each member advertises.
 */
public final class WanProxy implements AutoCloseable {
    /** {@code LISTEN=TARGET}, or {@code LISTEN=TARGET@MS} for a fixed one-way delay whatever the source. */
    public record Forward(HostPort listen, HostPort target, Optional<Double> fixedOneWayMillis) {
        public static Forward parse(String spec) {
            String[] sides = spec.split("=", 2);
            String[] target = sides.length == 2 ? sides[1].split("@", 2) : new String[0];
            HostPort listen = sides.length == 2 ? HostPort.parseOrNull(sides[0]) : null;
            HostPort to = target.length > 0 ? HostPort.parseOrNull(target[0]) : null;
            if (listen == null || to == null) {
                throw new IllegalArgumentException("a forward is LISTEN=TARGET or LISTEN=TARGET@MS (host:port each), not '" + spec + "'");
            }
            if (target.length < 2) {
                return new Forward(listen, to, Optional.empty());
            }
            double ms;
            try {
                ms = Double.parseDouble(target[1]);
            } catch (NumberFormatException e) {
                ms = Double.NaN;
            }
            if (!(ms >= 0)) {
                throw new IllegalArgumentException("the delay of '" + spec + "' is not a number of milliseconds >= 0");
            }
            return new Forward(listen, to, Optional.of(ms));
        }
    }

    private final List<Forward> forwards;
    private final List<LinkProxy> links;

    private WanProxy(List<Forward> forwards, List<LinkProxy> links) {
        this.forwards = forwards;
        this.links = links;
    }

    /**
     * @param hosts per region, the address its processes connect from and listen on
     * @param scale the latency scale, as the lab's ({@code 1.0}: the delays of {@link LabTopology})
     */
    public static WanProxy start(Map<String, String> hosts, List<Forward> forwards, double scale) throws IOException {
        Map<InetAddress, String> regionOf = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : hosts.entrySet()) {
            if (LabTopology.REGIONS.stream().noneMatch(r -> r.name().equals(h.getKey()))
                    && LabTopology.WITNESS_REGIONS.stream().noneMatch(r -> r.name().equals(h.getKey()))) {
                throw new IllegalArgumentException("no region '" + h.getKey() + "' in the lab's topology");
            }
            regionOf.put(InetAddress.getByName(h.getValue()), h.getKey());
        }
        List<LinkProxy> links = new ArrayList<>();
        try {
            for (Forward f : forwards) {
                InetAddress targetAddress = InetAddress.getByName(f.target().host());
                if (f.fixedOneWayMillis().isEmpty() && !regionOf.containsKey(targetAddress)) {
                    throw new IllegalArgumentException("the forward to " + f.target() + " has no fixed delay and no region"
                            + " is at " + f.target().host() + " (give one with --host REGION=" + f.target().host() + ")");
                }
                String to = regionOf.getOrDefault(targetAddress, f.target().host());
                Map<String, LinkShaper> bySource = new ConcurrentHashMap<>();
                LinkShaper fixed = new LinkShaper(Math.round(f.fixedOneWayMillis().orElse(0.0) * scale * 1e6), 0);
                java.util.function.Function<InetAddress, LinkShaper> shaperFor = f.fixedOneWayMillis().isPresent()
                        ? source -> fixed
                        : source -> {
                            String from = regionOf.get(source);
                            if (from == null) {
                                return null;
                            }
                            return bySource.computeIfAbsent(from, r -> new LinkShaper(r.equals(to) ? 0
                                    : Math.round(LabTopology.oneWayMillis(r, to) * scale * 1e6), 0));
                        };
                try {
                    links.add(new LinkProxy("*", to, "tcp", new InetSocketAddress(f.listen().host(), f.listen().port()),
                            new InetSocketAddress(targetAddress, f.target().port()), fixed, shaperFor, 0));
                } catch (java.net.BindException e) {
                    throw new java.net.BindException(f.listen().bindFailure("the forward to " + f.target(), e.getMessage()));
                }
            }
        } catch (IOException | RuntimeException e) {
            links.forEach(LinkProxy::close);
            throw e;
        }
        return new WanProxy(List.copyOf(forwards), List.copyOf(links));
    }

    /**
     * Per forward so far: bytes relayed both ways, of which {@code bytes_back} from the target to
     * whoever dialled (a streaming replica dials its primary: its WAL comes back), connections
     * accepted, and how late the proxy forwarded chunks past their due time ({@code late}: chunks,
     * p50, p99 and max in milliseconds, since it started); one JSON object.
     */
    public String statsJson() {
        StringBuilder out = new StringBuilder("{\"forwards\": [");
        for (int i = 0; i < links.size(); i++) {
            LinkProxy l = links.get(i);
            WanEmulator.Lateness late = l.lateness();
            out.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                    "{\"listen\": \"%s\", \"target\": \"%s\", \"bytes\": %d, \"bytes_back\": %d, \"connections\": %d,"
                            + " \"late\": {\"chunks\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}}",
                    forwards.get(i).listen(), forwards.get(i).target(), l.bytesForwarded(), l.bytesBack(), l.connectionsAccepted(),
                    late.chunks(), late.p50Ms(), late.p99Ms(), late.maxMs()));
        }
        return out.append("]}\n").toString();
    }

    public void writeStats(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, statsJson(), StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() {
        links.forEach(LinkProxy::close);
    }
}
