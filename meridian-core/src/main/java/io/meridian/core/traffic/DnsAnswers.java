package io.meridian.core.traffic;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the health-checked DNS answers: the regions whose gateways a client should use, nearest
 * first for the client's region, healthy ones only; when none is healthy, all of them (as Route 53
 * does: an answer that may work beats none).
 */
public final class DnsAnswers {
    private DnsAnswers() {
    }

    /** A client subnet and the region it is in: {@code 10.1.0.0/16}. */
    public record Subnet(byte[] network, int prefixLength, String region) {
        public Subnet {
            if (network.length != 4 && network.length != 16) {
                throw new IllegalArgumentException("an address of " + network.length + " bytes");
            }
            if (prefixLength < 0 || prefixLength > network.length * 8) {
                throw new IllegalArgumentException("prefix /" + prefixLength + " of a " + network.length * 8 + "-bit address");
            }
        }

        /** Parses {@code CIDR=REGION}, e.g. {@code 10.1.0.0/16=us-east} (IPv4 or IPv6 literals only). */
        public static Subnet parse(String text) {
            int eq = text.indexOf('=');
            int slash = text.indexOf('/');
            if (eq < 0 || slash < 0 || slash > eq) {
                throw new IllegalArgumentException("'" + text + "' is not CIDR=REGION, such as 10.1.0.0/16=us-east");
            }
            byte[] address = literal(text.substring(0, slash));
            int prefix;
            try {
                prefix = Integer.parseInt(text.substring(slash + 1, eq));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': the prefix length is not a number");
            }
            String region = text.substring(eq + 1);
            if (region.isBlank()) {
                throw new IllegalArgumentException("'" + text + "' names no region");
            }
            return new Subnet(address, prefix, region);
        }

        /** True when {@code address} is in this subnet. */
        public boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixLength / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixLength % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    /** An IPv4 or IPv6 literal's bytes, without any name lookup. */
    public static byte[] literal(String text) {
        if (text.contains(":")) {
            try {
                // A literal with a colon is never looked up.
                return java.net.InetAddress.getByName(text).getAddress();
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
            }
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v;
            try {
                v = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
            }
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /** The region of a client address: the longest subnet containing it, or null. */
    public static Subnet match(List<Subnet> subnets, byte[] address) {
        Subnet best = null;
        for (Subnet s : subnets) {
            if (s.contains(address) && (best == null || s.prefixLength() > best.prefixLength())) {
                best = s;
            }
        }
        return best;
    }

    /**
     * The regions to answer with, in order.
     *
     * @param clientRegion the client's region, or null when unknown
     * @param regions      every region with a gateway, in the configured order
     * @param nearest      per region, the regions nearest first (a region not listed: itself, then the configured order)
     * @param healthy      the regions that are healthy now
     */
    public static List<String> order(String clientRegion, List<String> regions, Map<String, List<String>> nearest,
                                     Set<String> healthy) {
        LinkedHashSet<String> ordered = new LinkedHashSet<>();
        if (clientRegion != null) {
            ordered.addAll(nearest.getOrDefault(clientRegion, List.of(clientRegion)));
        }
        ordered.addAll(regions);
        ordered.retainAll(regions);
        List<String> up = new ArrayList<>(ordered);
        up.retainAll(healthy);
        return up.isEmpty() ? new ArrayList<>(ordered) : up;
    }
}
