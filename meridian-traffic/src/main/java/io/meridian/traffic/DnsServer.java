package io.meridian.traffic;

import io.meridian.core.traffic.DnsAnswers;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * An authoritative DNS server (over UDP; dnsjava for the wire format) for one service name:
 * {@code A} queries of the name are answered with the addresses of the healthy regions'
 * gateways, nearest first for the asking client's region; {@code SRV} queries of
 * {@code _http._tcp.<name>} (or {@code _https._tcp.<name>} when the gateways serve HTTPS; the other is
 * {@code NXDOMAIN}) with each gateway's address and port (priority 0 for the nearest),
 * each target {@code <region>.<name>} answering {@code A} too. The client's region comes from
 * EDNS Client Subnet when the query has it (and the answer says the scope it used), else from the
 * query's source address, through the subnet table. A query that does not parse is answered
 * {@code FORMERR}; a name outside the service's zone {@code REFUSED}; an unknown name inside it
 * {@code NXDOMAIN}.
 */
public final class DnsServer implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DnsServer.class);

    /** A region's gateway as the DNS names it: an address (IPv4 literal) and a port. */
    public record GatewayAddress(String region, byte[] address, int port) {
    }

    /**
     * @param name     the service name, e.g. {@code shop.meridian.test}
     * @param gateways every region's gateway, in the configured order
     * @param subnets  client subnets and their regions
     * @param nearest  per region, the regions nearest first
     * @param ttl      the answers' time to live, in seconds
     * @param scheme   what the gateways serve, {@code http} or {@code https}: the SRV records' service name
     */
    public record Settings(String name, String host, int port, List<GatewayAddress> gateways, List<DnsAnswers.Subnet> subnets,
                           Map<String, List<String>> nearest, long ttl, String scheme) {
        /** Gateways that serve plain HTTP. */
        public Settings(String name, String host, int port, List<GatewayAddress> gateways, List<DnsAnswers.Subnet> subnets,
                        Map<String, List<String>> nearest, long ttl) {
            this(name, host, port, gateways, subnets, nearest, ttl, "http");
        }

        public Settings {
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new IllegalArgumentException("gateways serve http or https, not '" + scheme + "'");
            }
            gateways = List.copyOf(gateways);
            subnets = List.copyOf(subnets);
            nearest = Map.copyOf(nearest);
            if (gateways.isEmpty()) {
                throw new IllegalArgumentException("the DNS needs at least one region's gateway");
            }
            if (ttl < 0 || ttl > 86_400) {
                throw new IllegalArgumentException("a TTL of " + ttl + " s; expected 0 to 86400");
            }
        }
    }

    private final Settings settings;
    private final Name zone;
    private final Name srvName;
    private final SOARecord soa;
    private final Supplier<Set<String>> healthy;
    private final DatagramSocket socket;
    private final Thread thread;
    private volatile boolean closed;

    /** @param healthy the regions healthy now (read at every query) */
    public DnsServer(Settings settings, Supplier<Set<String>> healthy) throws IOException {
        this.settings = settings;
        this.healthy = healthy;
        try {
            this.zone = Name.fromString(settings.name(), Name.root);
            this.srvName = Name.fromString("_" + settings.scheme() + "._tcp", zone);
            // The zone's SOA, in negative answers so resolvers cache "no such record" for the TTL (RFC 2308).
            this.soa = new SOARecord(zone, DClass.IN, settings.ttl(), zone, Name.fromString("hostmaster", zone), 1,
                    3_600, 600, 86_400, settings.ttl());
        } catch (TextParseException e) {
            throw new IllegalArgumentException("'" + settings.name() + "' is not a DNS name: " + e.getMessage());
        }
        this.socket = new DatagramSocket(new InetSocketAddress(settings.host(), settings.port()));
        this.thread = Thread.ofPlatform().daemon().name("dns").unstarted(this::serve);
    }

    public void start() {
        thread.start();
        log.info("DNS for {} on {}:{} (TTL {} s): regions {}", settings.name(), settings.host(), port(), settings.ttl(),
                settings.gateways().stream().map(GatewayAddress::region).toList());
    }

    public int port() {
        return socket.getLocalPort();
    }

    public Settings settings() {
        return settings;
    }

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (IOException e) {
                if (!closed) {
                    log.warn("DNS receive failed: {}", e.toString());
                }
                continue;
            }
            byte[] query = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
            byte[] answer;
            try {
                answer = answer(query, packet.getAddress());
            } catch (RuntimeException e) { // a bug: answer SERVFAIL rather than nothing, and keep serving
                log.error("DNS query failed", e);
                answer = error(query, Rcode.SERVFAIL);
            }
            if (answer == null) {
                continue;
            }
            try {
                socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
            } catch (IOException e) {
                log.debug("DNS answer not sent: {}", e.toString());
            }
        }
    }

    /** The answer to one query from {@code source}; null when there is nothing to answer (fewer bytes than a header). */
    byte[] answer(byte[] bytes, InetAddress source) {
        Message query;
        try {
            query = new Message(bytes);
        } catch (IOException | IllegalArgumentException e) { // dnsjava refuses some fields (a TTL, a type) unchecked
            return error(bytes, Rcode.FORMERR);
        }
        Header header = query.getHeader();
        if (header.getFlag(Flags.QR)) {
            return null; // an answer sent to us: never answer answers
        }
        Message response = new Message(header.getID());
        response.getHeader().setFlag(Flags.QR);
        if (header.getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        Record question = query.getQuestion();
        if (header.getOpcode() != Opcode.QUERY) {
            response.getHeader().setRcode(Rcode.NOTIMP);
            return response.toWire();
        }
        if (question == null || header.getCount(Section.QUESTION) != 1) {
            response.getHeader().setRcode(Rcode.FORMERR);
            return response.toWire();
        }
        response.addRecord(question, Section.QUESTION);
        Name name = question.getName();
        if (!name.subdomain(zone)) {
            response.getHeader().setRcode(Rcode.REFUSED);
            return response.toWire();
        }
        response.getHeader().setFlag(Flags.AA);
        byte[] client = source.getAddress();
        ClientSubnetOption ecs = null;
        OPTRecord opt = query.getOPT();
        if (opt != null) {
            for (EDNSOption o : opt.getOptions(EDNSOption.Code.CLIENT_SUBNET)) {
                ecs = (ClientSubnetOption) o;
                client = ecs.getAddress().getAddress();
            }
        }
        DnsAnswers.Subnet subnet = DnsAnswers.match(settings.subnets(), client);
        List<String> regions = DnsAnswers.order(subnet == null ? null : subnet.region(),
                settings.gateways().stream().map(GatewayAddress::region).toList(), settings.nearest(), healthy.get());
        Map<String, GatewayAddress> byRegion = new LinkedHashMap<>();
        settings.gateways().forEach(g -> byRegion.put(g.region(), g));
        int type = question.getType();
        try {
            if (name.equals(zone)) {
                if (type == Type.SOA || type == Type.ANY) {
                    response.addRecord(soa, Section.ANSWER);
                }
                if (type == Type.A || type == Type.ANY) {
                    List<String> seen = new ArrayList<>();
                    for (String r : regions) {
                        GatewayAddress g = byRegion.get(r);
                        String ip = InetAddress.getByAddress(g.address()).getHostAddress();
                        if (!seen.contains(ip)) {
                            seen.add(ip);
                            response.addRecord(new ARecord(zone, DClass.IN, settings.ttl(), InetAddress.getByAddress(g.address())),
                                    Section.ANSWER);
                        }
                    }
                }
            } else if (name.equals(srvName)) {
                if (type == Type.SRV || type == Type.ANY) {
                    for (int i = 0; i < regions.size(); i++) {
                        GatewayAddress g = byRegion.get(regions.get(i));
                        Name target = Name.fromString(g.region(), zone);
                        response.addRecord(new SRVRecord(srvName, DClass.IN, settings.ttl(), i, 0, g.port(), target), Section.ANSWER);
                        response.addRecord(new ARecord(target, DClass.IN, settings.ttl(), InetAddress.getByAddress(g.address())),
                                Section.ADDITIONAL);
                    }
                }
            } else {
                GatewayAddress g = name.labels() == zone.labels() + 1 ? byRegion.get(name.getLabelString(0)) : null;
                if (g == null) {
                    response.getHeader().setRcode(Rcode.NXDOMAIN);
                } else if (type == Type.A || type == Type.ANY) {
                    response.addRecord(new ARecord(name, DClass.IN, settings.ttl(), InetAddress.getByAddress(g.address())),
                            Section.ANSWER);
                }
            }
            if (response.getSection(Section.ANSWER).isEmpty()) {
                response.addRecord(soa, Section.AUTHORITY); // NXDOMAIN, or the name has no record of this type
            }
        } catch (IOException e) {
            throw new IllegalStateException("a gateway address that is not one: " + e.getMessage(), e);
        }
        if (opt != null) {
            List<EDNSOption> options = new ArrayList<>();
            if (ecs != null) {
                options.add(new ClientSubnetOption(ecs.getSourcePrefixLength(), subnet == null ? 0 : subnet.prefixLength(),
                        ecs.getAddress()));
            }
            response.addRecord(new OPTRecord(1232, 0, 0, 0, options), Section.ADDITIONAL);
        }
        return response.toWire(opt != null ? 1232 : 512);
    }

    /** A header-only answer with {@code rcode}, to a query whose id can be read (else none). */
    private static byte[] error(byte[] query, int rcode) {
        if (query.length < 12) {
            return null;
        }
        Header h = new Header(((query[0] & 0xff) << 8) | (query[1] & 0xff));
        h.setFlag(Flags.QR);
        h.setRcode(rcode);
        return h.toWire();
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
