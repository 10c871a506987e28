package io.meridian.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The network of {@code lab up --netns}: each region in its own Linux network namespace, as if on
 * a host of its own. A region's namespace has a loopback and one end of a veth pair, with address
 * {@code 10.X.Y.4i+2/30}; the other end stays in the host's namespace with {@code 10.X.Y.4i+1}, where
 * the WAN emulator listens for the links leaving that region. A namespace has no default route,
 * so its only reachable neighbour is that host address: a region can reach another only through
 * the emulator, never directly, and nothing can quietly rely on 127.0.0.1 meaning "every region".
 * Clients on the host reach every region at its own address.
 *
 * <p>{@code X.Y} come from a hash of the lab's directory, moved on when that /24 is already in use
 * on the host; names carry the same tag, so two labs in different directories do not meet. Making
 * and deleting namespaces needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2's {@code ip}.
 *
 * @param tag  four hex digits naming this lab's namespaces and interfaces
 * @param hosts one per region, in the lab's region order
 */
public record LabNetwork(String tag, List<Host> hosts) {
    public LabNetwork {
        hosts = List.copyOf(hosts);
    }

    /**
     * One region's namespace.
     *
     * @param hostInterface the veth end in the host's namespace (at most 15 characters, as Linux requires)
     * @param hostAddress   its address: where the region's outgoing links are listened for
     * @param address       the region's own address inside its namespace
     */
    public record Host(String region, String namespace, String hostInterface, String regionInterface, String hostAddress,
                       String address) {
    }

    private static final long IP_TIMEOUT_SECONDS = 10;

    /** The plan for {@code regions} of the lab in {@code root}; nothing is made yet. {@code inUse} is the host's {@code ip -o addr} and {@code ip route}. */
    static LabNetwork plan(Path root, List<String> regions, String inUse) {
        int hash = root.toAbsolutePath().normalize().toString().hashCode();
        String tag = String.format("%04x", (hash ^ (hash >>> 16)) & 0xffff);
        int subnet = Integer.parseInt(tag, 16);
        for (int tries = 0; tries < 256 && inUse.contains(prefix(subnet)); tries++) {
            subnet = (subnet + 1) & 0xffff;
        }
        if (inUse.contains(prefix(subnet))) {
            throw new LabException("no free 10.X.Y.0/24 for the lab's namespaces near " + prefix(subnet) + "0");
        }
        List<Host> hosts = new ArrayList<>();
        for (int i = 0; i < regions.size(); i++) {
            String r = regions.get(i);
            hosts.add(new Host(r, "meridian-" + tag + "-" + r, "mr" + tag + "h" + i, "mr" + tag + "r" + i,
                    prefix(subnet) + (4 * i + 1), prefix(subnet) + (4 * i + 2)));
        }
        return new LabNetwork(tag, hosts);
    }

    private static String prefix(int subnet) {
        return "10." + (subnet >>> 8) + "." + (subnet & 0xff) + ".";
    }

    /** Plans and makes the namespaces; on any failure, removes what was made and says why. */
    static LabNetwork create(Path root, List<String> regions) {
        String inUse;
        try {
            inUse = ip("-o", "addr") + ip("route");
        } catch (LabException e) {
            throw new LabException("lab up --netns needs iproute2's `ip` (Debian package iproute2): " + e.getMessage(), e);
        }
        LabNetwork network = plan(root, regions, inUse);
        network.delete(); // what a lab from this directory that died without `lab down` left behind
        try {
            for (Host h : network.hosts) {
                ip("netns", "add", h.namespace());
                ip("link", "add", h.hostInterface(), "type", "veth", "peer", "name", h.regionInterface());
                ip("link", "set", h.regionInterface(), "netns", h.namespace());
                ip("addr", "add", h.hostAddress() + "/30", "dev", h.hostInterface());
                ip("link", "set", h.hostInterface(), "up");
                ip("-n", h.namespace(), "addr", "add", h.address() + "/30", "dev", h.regionInterface());
                ip("-n", h.namespace(), "link", "set", h.regionInterface(), "up");
                ip("-n", h.namespace(), "link", "set", "lo", "up");
            }
        } catch (LabException e) {
            network.delete();
            throw new LabException("cannot make the lab's network namespaces (lab up --netns needs root: CAP_SYS_ADMIN and"
                    + " CAP_NET_ADMIN): " + e.getMessage(), e);
        }
        return network;
    }

    /** Deletes every namespace of this lab (and with it both ends of its veth); those already gone are skipped. */
    void delete() {
        for (Host h : hosts) {
            try {
                ip("netns", "del", h.namespace());
            } catch (LabException e) {
                // not there: nothing to delete
            }
            try {
                ip("link", "del", h.hostInterface());
            } catch (LabException e) {
                // deleted with its peer's namespace, as usual
            }
        }
    }

    public Optional<Host> host(String region) {
        return hosts.stream().filter(h -> h.region().equals(region)).findFirst();
    }

    /** {@code command} run inside {@code region}'s namespace ({@code ip netns exec} execs it: the pid stays the command's). */
    List<String> inside(String region, List<String> command) {
        Host h = host(region).orElseThrow(() -> new LabException("region '" + region + "' has no namespace in this lab"));
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", h.namespace()));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Runs {@code ip ARGS}, returning what it printed; throws with its error when it fails. */
    static String ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(IP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LabException(String.join(" ", command) + " did not finish in " + IP_TIMEOUT_SECONDS + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new LabException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new LabException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted running " + String.join(" ", command));
        }
    }
}
