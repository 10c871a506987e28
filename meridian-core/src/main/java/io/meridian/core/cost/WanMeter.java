package io.meridian.core.cost;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes one region exchanged with each other region on the wire, per transport, and what
 * they carried.
 *
 * <p>Each connection between two regions is counted at one end only: HTTP and consensus at the
 * end that accepted it, replication at the end that dialled (the receiving region). The bytes
 * region A sent to region B are therefore A's {@code sent} to B plus B's {@code received} from A,
 * and the two regions' counters together account for every byte between them once
 * ({@link CostReport}).
 *
 * <p>Bytes are counted as the socket reads and writes them (protocol framing, acknowledgements
 * and heartbeats included). What they carried is recorded apart, as weights per label (a keyspace,
 * or a name in parentheses for the system's own traffic): a transport's bytes are shared among its
 * labels in proportion to their weights. HTTP requests weigh exactly their own bytes; replication
 * entries and Raft messages weigh their encoded size.
 *
 * <p>Thread-safe, and free of clocks: {@link #read} takes the time it is asked at.
 */
public final class WanMeter {
    /** The label of traffic that is no keyspace's: probes, status, the console's gathering. */
    public static final String SYSTEM = "(system)";
    /** The label of the control plane's Raft group: failure reports, leases, decisions. */
    public static final String CONTROL = "(control)";
    /** The label of the canary probes' writes and reads. */
    public static final String CANARY = "(canary)";

    private final String region;
    private final Set<String> peers;
    private final long startedMillis;
    private final Map<Key, Cell> cells = new ConcurrentHashMap<>();
    private final Map<Route, RouteCell> routes = new ConcurrentHashMap<>();

    private record Key(String peer, Transport transport) {
    }

    private record Route(String keyspace, String kind, String owner, String ranIn) {
    }

    private static final class RouteCell {
        final LongAdder requests = new LongAdder();
        final LongAdder bytesIn = new LongAdder();
        final LongAdder bytesOut = new LongAdder();
        final LongAdder micros = new LongAdder();
    }

    private static final class Cell {
        final LongAdder sent = new LongAdder();
        final LongAdder received = new LongAdder();
        final Map<String, LongAdder> weights = new ConcurrentHashMap<>();
    }

    /**
     * @param region        this region
     * @param peers         the other regions: bytes named after anything else (this region included) are not counted
     * @param startedMillis when counting began (wall clock): a reader tells a restarted region's counters by it
     */
    public WanMeter(String region, Set<String> peers, long startedMillis) {
        this.region = region;
        this.peers = Set.copyOf(peers);
        this.startedMillis = startedMillis;
    }

    public String region() {
        return region;
    }

    /** True when bytes exchanged with {@code region} are counted: it is another configured region. */
    public boolean counts(String region) {
        return region != null && peers.contains(region);
    }

    /** Adds bytes this region wrote to and read from {@code peer} on one transport. */
    public void count(String peer, Transport transport, long sent, long received) {
        if (!counts(peer) || (sent == 0 && received == 0)) {
            return;
        }
        Cell cell = cell(peer, transport);
        cell.sent.add(sent);
        cell.received.add(received);
    }

    /** Records that {@code weight} of what crossed to or from {@code peer} on {@code transport} was {@code label}'s. */
    public void weigh(String peer, Transport transport, String label, long weight) {
        if (!counts(peer) || weight <= 0) {
            return;
        }
        cell(peer, transport).weights.computeIfAbsent(label, l -> new LongAdder()).add(weight);
    }

    /**
     * Records a client's request to a replicated keyspace that reached this region: where it ran
     * (here, or the region it was forwarded to) and for whose key. These are the inputs of
     * {@link WhatIf}: the same requests routed another way.
     *
     * @param kind     {@code read} or {@code write}
     * @param owner    the region that owns the key (its home, or the primary); empty when none does
     * @param ranIn    the region that served it: this one, or the one it was forwarded to
     * @param bytesIn  the request's body
     * @param bytesOut the answer's body
     * @param micros   how long this region took to answer, forwarding included
     */
    public void routed(String keyspace, String kind, String owner, String ranIn, long bytesIn, long bytesOut, long micros) {
        RouteCell cell = routes.computeIfAbsent(new Route(keyspace, kind, owner, ranIn), r -> new RouteCell());
        cell.requests.increment();
        cell.bytesIn.add(bytesIn);
        cell.bytesOut.add(bytesOut);
        cell.micros.add(micros);
    }

    private Cell cell(String peer, Transport transport) {
        return cells.computeIfAbsent(new Key(peer, transport), k -> new Cell());
    }

    /** The counters now, as of {@code nowMillis}. */
    public WanCounters read(long nowMillis) {
        List<WanCounters.Flow> flows = new ArrayList<>();
        cells.forEach((key, cell) -> {
            Map<String, Long> weights = new TreeMap<>();
            cell.weights.forEach((label, w) -> weights.put(label, w.sum()));
            flows.add(new WanCounters.Flow(key.peer(), key.transport().wireName(), cell.sent.sum(), cell.received.sum(), weights));
        });
        flows.sort(java.util.Comparator.comparing(WanCounters.Flow::peer).thenComparing(WanCounters.Flow::transport));
        List<WanCounters.Routed> routed = new ArrayList<>();
        routes.forEach((r, c) -> routed.add(new WanCounters.Routed(r.keyspace(), r.kind(), r.owner(), r.ranIn(),
                c.requests.sum(), c.bytesIn.sum(), c.bytesOut.sum(), c.micros.sum())));
        routed.sort(WanCounters.Routed.ORDER);
        return new WanCounters(region, startedMillis, nowMillis, flows, routed);
    }
}
