package io.meridian.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.meridian.tls.CertificateAuthority;
import io.meridian.tls.Identity;
import io.meridian.tls.TlsFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * The local multi-region lab: one node process per region of {@link LabTopology} and a WAN
 * emulator process between them, all on 127.0.0.1, with their configuration, data, logs and
 * state under one directory (by default {@code .meridian/lab}).
 *
 * <p>Every operation is a separate command invocation in real use, so everything it needs to
 * know lives in {@code state.json}; processes are found by pid and checked to still be ours
 * (same start time as recorded: pids are reused) before anything signals them.
 */
public final class Lab {
    static final String STATE_FILE = "state.json";
    static final String CONFIG_FILE = "config.yaml";
    /** How often readiness is polled while waiting for processes. */
    private static final Duration POLL = Duration.ofMillis(100);
    /** How long `down` waits for a graceful exit before SIGKILL. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;
    private final Launcher launcher;
    private final PrintStream out;
    /** Built on first use: over TLS when the lab has certificates by then. */
    private volatile HttpClient http;

    public Lab(Path root, Launcher launcher, PrintStream out) {
        this.root = root.toAbsolutePath();
        this.launcher = launcher;
        this.out = out;
    }

    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2));
            h = tls().map(b::sslContext).orElse(b).build();
            http = h;
        }
        return h;
    }

    /** Where the lab keeps its CA and the regions' certificates when it runs with TLS. */
    public Path certsDir() {
        return root.resolve(LabTopology.CERTS_DIR);
    }

    /** The client the lab's own commands, benches, drills and demo shops are: an administrator of a TLS lab (auth.admins). */
    public static final String CLIENT = "lab";

    /**
     * How to dial the lab's regions over HTTPS: a context trusting the lab's CA, taking only a
     * region's certificate, and showing the client certificate {@value #CLIENT}; empty when the lab
     * has no certificates (it runs plain HTTP).
     */
    public Optional<SSLContext> tls() {
        if (!Files.exists(certsDir().resolve(CertificateAuthority.CERT_FILE))) {
            return Optional.empty();
        }
        try {
            Identity client = Identity.client(CLIENT);
            boolean issued = Files.exists(CertificateAuthority.certFile(certsDir(), client));
            return Optional.of((issued ? TlsFiles.of(certsDir(), client) : TlsFiles.trustOnly(certsDir()))
                    .context(id -> id.kind() == Identity.Kind.REGION));
        } catch (IOException e) {
            throw new LabException("the lab's certificates in " + certsDir() + " do not load: " + e.getMessage(), e);
        }
    }

    /**
     * A lab with TLS: its CA, made once and kept across restarts, and a certificate for every
     * region (for 127.0.0.1, localhost, and with {@code --netns} the addresses it is dialled by) and for the
     * client {@code lab}, made again on every start.
     */
    private void makeCertificates(List<String> regions, LabNetwork network) {
        Path dir = certsDir();
        try {
            CertificateAuthority ca;
            if (Files.exists(dir.resolve(CertificateAuthority.CERT_FILE))) {
                ca = CertificateAuthority.load(dir);
            } else {
                ca = CertificateAuthority.create(Instant.now(), Duration.ofDays(3650));
                ca.save(dir);
            }
            Instant now = Instant.now();
            List<Identity> ids = new ArrayList<>();
            regions.forEach(r -> ids.add(Identity.region(r)));
            ids.add(Identity.client(CLIENT));
            for (Identity id : ids) {
                List<String> names = new ArrayList<>();
                if (id.kind() == Identity.Kind.REGION) {
                    names.addAll(List.of("127.0.0.1", "localhost"));
                    if (network != null) {
                        // its own address, and the emulator's ones other regions dial it through
                        names.add(network.host(id.name()).orElseThrow().address());
                        network.hosts().forEach(h -> names.add(h.hostAddress()));
                    }
                }
                CertificateAuthority.save(ca.issue(id, names, now.minusSeconds(60), now.plus(Duration.ofDays(365))), dir);
            }
        } catch (IOException e) {
            throw new LabException("cannot make the lab's certificates in " + dir + ": " + e.getMessage(), e);
        }
        writeCurlConfig();
        http = null; // dial with them from now on
    }

    /** The curl configuration file of a lab with TLS ({@code curl -K FILE https://...}). */
    public Path curlConfig() {
        return root.resolve("curlrc");
    }

    /** {@link #curlConfig()}: the lab's CA to check regions by, and the client certificate {@value #CLIENT} (an administrator, so no token is needed). */
    private void writeCurlConfig() {
        Path dir = certsDir().toAbsolutePath();
        Identity client = Identity.client(CLIENT);
        write(curlConfig(), "# curl -K " + curlConfig().toAbsolutePath() + " https://127.0.0.1:7001/...: the lab's CA, and the client"
                + " certificate '" + CLIENT + "' (an administrator of the lab: no token needed)\n"
                + "cacert = \"" + dir.resolve(CertificateAuthority.CERT_FILE) + "\"\n"
                + "cert = \"" + CertificateAuthority.certFile(dir, client) + "\"\n"
                + "key = \"" + CertificateAuthority.keyFile(dir, client) + "\"\n");
    }

    /** A lab started without TLS has no certificates: clients then dial it over plain HTTP. */
    private void deleteCertificates() {
        Path dir = certsDir();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
            Files.delete(dir);
            Files.deleteIfExists(curlConfig());
        } catch (IOException e) {
            throw new LabException("cannot remove the lab's old certificates in " + dir + ": " + e.getMessage(), e);
        }
        http = null;
    }

    /** The running lab's configuration: its regions and keyspaces, declared once in its config file. */
    public io.meridian.core.config.MeridianConfig config() {
        Path file = root.resolve(CONFIG_FILE);
        try {
            return io.meridian.core.config.ConfigLoader.parse(file.toString(), Files.readString(file)).resolvedAgainst(root);
        } catch (IOException e) {
            throw new LabException("cannot read the lab's configuration " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The lab's first keyspace whose rules {@code fits}: benchmarks and drills pick what they
     * measure by what it means, not by name.
     */
    public String keyspaceWhere(java.util.function.Predicate<io.meridian.core.KeyspaceRules> fits, String what) {
        return config().keyspaces().stream().filter(k -> fits.test(io.meridian.core.KeyspaceRules.of(k.policy())))
                .map(io.meridian.core.config.KeyspaceConfig::name).findFirst()
                .orElseThrow(() -> new LabException("the lab's configuration has no keyspace " + what));
    }

    public Path root() {
        return root;
    }

    /**
     * Starts the WAN emulator and a node per region and waits until every node is ready.
     *
     * @param basePort first port (regions, then WAN control at +99 and links from +100), or 0 for free ports
     * @throws LabException when a lab already runs here, a port is taken, or a process fails to start
     */
    public LabState up(int basePort, LabTopology.Setup wan, Duration readyTimeout) {
        return up(basePort, wan, readyTimeout, false);
    }

    /**
     * As {@link #up(int, LabTopology.Setup, Duration)}; with {@code traffic}, also the traffic layer:
     * per region a process with the demo shop, its gateway and an edge, and one DNS for the lab
     * (gateways on PORT+200.., shops on PORT+300.., edges on PORT+500.., the DNS on UDP PORT+352).
     */
    public LabState up(int basePort, LabTopology.Setup wan, Duration readyTimeout, boolean traffic) {
        return up(basePort, wan, readyTimeout, traffic, DEFAULT_DNS_TTL_SECONDS);
    }

    /** The TTL of the lab's DNS answers unless {@code lab up --dns-ttl} says otherwise. */
    public static final int DEFAULT_DNS_TTL_SECONDS = 10;

    /** As {@link #up(int, LabTopology.Setup, Duration, boolean)}, the DNS answering with this TTL. */
    public LabState up(int basePort, LabTopology.Setup wan, Duration readyTimeout, boolean traffic, int dnsTtlSeconds) {
        if (dnsTtlSeconds < 0 || dnsTtlSeconds > 86_400) {
            throw new LabException("a DNS TTL of " + dnsTtlSeconds + " s; expected 0 to 86400");
        }
        Optional<LabState> existing = state();
        if (existing.isPresent() && anyAlive(existing.get())) {
            throw new LabException("a lab is already running from " + root + " (" + describe(existing.get())
                    + "); `meridian lab status` shows it, `meridian lab down` stops it");
        }
        long started = System.nanoTime();
        try {
            Files.createDirectories(root.resolve("logs"));
            Files.createDirectories(root.resolve("data"));
        } catch (IOException e) {
            throw new LabException("cannot create " + root + ": " + e.getMessage(), e);
        }
        LabTopology.Ports ports = LabTopology.Ports.of(ports(basePort));
        Path config = root.resolve(CONFIG_FILE);
        List<String> names = wan.regions().stream().map(LabTopology.Region::name).toList();
        LabNetwork network = wan.netns() ? LabNetwork.create(root, names) : null;
        List<LabState.RegionProcess> regions = new ArrayList<>();
        LabState state = null;
        try {
            if (wan.tls()) {
                makeCertificates(names, network);
            } else {
                deleteCertificates();
            }
            write(config, LabTopology.configYaml(ports, wan, network));
            String controlUrl = "http://127.0.0.1:" + ports.control();
            LabState.Pid wanPid = LabState.Pid.of(spawn(List.of("wan", "--config", config.toString()), root.resolve("logs/wan.log")).toHandle());
            state = new LabState(config.toString(), controlUrl, wanPid, wan.latencyScale(), Instant.now().toString(), regions, network);
            awaitAnswer(controlUrl + "/v1/links", wanPid.pid(), root.resolve("logs/wan.log"), readyTimeout, "the WAN emulator");
            for (int i = 0; i < names.size(); i++) {
                String address = network == null ? "127.0.0.1" : network.hosts().get(i).address();
                regions.add(startRegion(config, names.get(i), (wan.tls() ? "https" : "http") + "://" + address + ":" + ports.regions().get(i),
                        network));
            }
            state = new LabState(config.toString(), controlUrl, wanPid, wan.latencyScale(), state.startedAt(), regions, network);
            save(state);
            for (LabState.RegionProcess r : regions) {
                awaitAnswer(r.url() + "/v1/health/ready", r.pid(), Path.of(r.log()), readyTimeout, "region " + r.name());
            }
            if (traffic) {
                state = startTraffic(state, basePort, readyTimeout, dnsTtlSeconds);
            }
        } catch (RuntimeException e) {
            if (state != null) {
                // the regions started so far, which the state saved last may not list yet
                stopAll(state.regions().isEmpty() ? new LabState(state.config(), state.controlUrl(), state.wan(), wan.latencyScale(),
                        state.startedAt(), regions, network) : state);
            } else if (network != null) {
                network.delete();
            }
            deleteState(); // only this start's state: a running lab was refused above
            throw e;
        }
        out.printf("lab up in %.1f s (latency scale %s)%n", (System.nanoTime() - started) / 1e9, wan.latencyScale());
        return state;
    }

    /** Waits until every running region answers its readiness check with 200 (a lease held, storage writable). */
    public void awaitReady(Duration timeout) {
        LabState state = requireState();
        for (LabState.RegionProcess r : state.regions()) {
            if (r.process().handle().isPresent()) {
                awaitAnswer(r.url() + "/v1/health/ready", r.pid(), Path.of(r.log()), timeout, "region " + r.name());
            }
        }
    }

    private LabState.RegionProcess startRegion(Path config, String name, String url, LabNetwork network) {
        Path log = root.resolve("logs/" + name + ".log");
        Path data = root.resolve("data/" + name);
        // RocksDB extracts its native library (~25 MB) to a fresh temporary file on every start and
        // deletes it at a clean exit only: a drill's SIGKILL would leave one in /tmp each time. Given
        // a directory it uses one fixed name there instead, replaced at the next start of this region.
        Path nativeDir = root.resolve("native/" + name);
        try {
            Files.createDirectories(nativeDir);
        } catch (IOException e) {
            throw new LabException("cannot create " + nativeDir + ": " + e.getMessage(), e);
        }
        List<String> command = launcher.command(List.of("node", "--config", config.toString(), "--region", name, "--data-dir",
                data.toString()));
        Process p = spawnCommand(network == null ? command : network.inside(name, command), log,
                Map.of("ROCKSDB_SHAREDLIB_DIR", nativeDir.toString()));
        return new LabState.RegionProcess(name, url, LabState.Pid.of(p.toHandle()), data.toString(), log.toString());
    }

    /** The name the lab's DNS answers for. */
    public static final String SERVICE_NAME = "shop.meridian.test";
    static final String TRAFFIC_PLAN = "traffic.json";
    private static final ObjectMapper PLAN_JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private LabState startTraffic(LabState state, int basePort, Duration timeout, int dnsTtlSeconds) {
        List<LabState.RegionProcess> data = state.regions().stream().filter(r -> !r.name().equals(LabTopology.WITNESS)).toList();
        int n = data.size();
        List<Integer> ports = trafficPorts(basePort, n);
        List<io.meridian.core.traffic.TrafficPlan.Region> planned = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = data.get(i).name();
            List<String> nearest = new ArrayList<>(data.stream().map(LabState.RegionProcess::name).toList());
            nearest.sort(java.util.Comparator.comparingDouble(o -> o.equals(name) ? -1 : LabTopology.oneWayMillis(name, o)));
            planned.add(new io.meridian.core.traffic.TrafficPlan.Region(name, data.get(i).url(), ports.get(n + i), ports.get(i),
                    ports.get(2 * n + i), "10." + (i + 1) + ".0.0/16", nearest, tls().isPresent()));
        }
        int dnsPort = ports.get(3 * n);
        io.meridian.core.traffic.TrafficPlan plan = new io.meridian.core.traffic.TrafficPlan(SERVICE_NAME, dnsPort, planned);
        Path planFile = root.resolve(TRAFFIC_PLAN);
        try {
            write(planFile, PLAN_JSON.writerWithDefaultPrettyPrinter().writeValueAsString(plan));
        } catch (IOException e) {
            throw new LabException("cannot write " + planFile + ": " + e.getMessage(), e);
        }
        List<LabState.TrafficProcess> processes = new ArrayList<>();
        for (var r : planned) {
            processes.add(startTrafficRegion(planFile, r.name(), r.serviceUrl(), r.gatewayUrl(), r.edgeUrl()));
        }
        List<String> dnsArgs = new ArrayList<>(List.of("dns", "--name", SERVICE_NAME, "--listen", "127.0.0.1:" + dnsPort,
                "--check-gateways", "--interval-ms", "1000", "--ttl", Integer.toString(dnsTtlSeconds)));
        dnsArgs.addAll(certsArgs());
        if (tls().isPresent()) {
            dnsArgs.addAll(List.of("--gateway-scheme", "https"));
        }
        for (var r : planned) {
            dnsArgs.addAll(List.of("--gateway", r.name() + "=127.0.0.1:" + r.gatewayPort(), "--subnet", r.subnet() + "=" + r.name(),
                    "--nearest", r.name() + "=" + String.join(",", r.nearest()), "--health-from", r.node()));
        }
        Path dnsLog = root.resolve("logs/dns.log");
        LabState.Pid dns = LabState.Pid.of(spawn(dnsArgs, dnsLog).toHandle());
        LabState.Traffic traffic = new LabState.Traffic(dns, "127.0.0.1:" + dnsPort, SERVICE_NAME, planFile.toString(), dnsLog.toString(),
                processes);
        state = state.withTraffic(traffic);
        save(state);
        for (LabState.TrafficProcess t : processes) {
            awaitAnswer(t.gateway() + "/meridian/gateway/health", t.process().pid(), Path.of(t.log()), timeout, "the traffic layer of " + t.name());
            awaitAnswer(t.edge() + "/meridian/edge/health", t.process().pid(), Path.of(t.log()), timeout, "the edge of " + t.name());
        }
        awaitLine(dnsLog, "DNS for " + SERVICE_NAME, dns.pid(), timeout, "the lab's DNS");
        seed(planned);
        return state;
    }

    /** {@code --certs DIR --as lab} for a process of the traffic layer, when the lab runs with TLS. */
    private List<String> certsArgs() {
        return tls().isPresent() ? List.of("--certs", certsDir().toString(), "--as", CLIENT) : List.of();
    }

    /** A few products and profiles for the demo shop to show (profiles homed round robin); writing them again changes nothing. */
    private void seed(List<io.meridian.core.traffic.TrafficPlan.Region> regions) {
        for (int i = 0; i < regions.size(); i++) {
            try (io.meridian.client.MeridianClient c = io.meridian.client.MeridianClient.connect(regions.get(i).node(),
                    io.meridian.client.MeridianClient.DEFAULT_TIMEOUT, tls().orElse(null))) {
                if (i == 0) {
                    for (int p = 1; p <= 20; p++) {
                        c.put("catalog", "p-" + p, "{\"name\": \"product " + p + "\", \"price\": " + (p * 3) + "}");
                    }
                }
                for (int k = 1 + i; k <= 20; k += regions.size()) {
                    c.put("profiles", "u-" + k, ("{\"name\": \"user " + k + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            "application/json", io.meridian.client.RequestOptions.NONE.home(regions.get(i).name()));
                }
            } catch (RuntimeException e) {
                throw new LabException("seeding the demo shop's data in " + regions.get(i).name() + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** Simulated users of the running lab's demo shop (a lab started with {@code --traffic}). */
    public UsersLoad users() {
        LabState state = requireState();
        if (state.traffic() == null) {
            throw new LabException("this lab runs without its traffic layer; `meridian lab down`, then `meridian lab up --traffic`");
        }
        try {
            return new UsersLoad(state.traffic(), PLAN_JSON.readValue(Path.of(state.traffic().plan()).toFile(),
                    io.meridian.core.traffic.TrafficPlan.class), tls().orElse(null));
        } catch (IOException e) {
            throw new LabException("cannot read " + state.traffic().plan() + ": " + e.getMessage(), e);
        }
    }

    private LabState.TrafficProcess startTrafficRegion(Path plan, String region, String service, String gateway, String edge) {
        Path log = root.resolve("logs/" + region + "-traffic.log");
        List<String> args = new ArrayList<>(List.of("traffic-region", "--plan", plan.toString(), "--region", region));
        args.addAll(certsArgs());
        Process p = spawn(args, log);
        return new LabState.TrafficProcess(region, LabState.Pid.of(p.toHandle()), service, gateway, edge, log.toString());
    }

    private void awaitLine(Path log, String line, long pid, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == false) {
                throw new LabException(what + " exited while starting; the end of " + log + ":\n" + tail(log, 15));
            }
            try {
                if (Files.exists(log) && Files.readString(log).contains(line)) {
                    return;
                }
            } catch (IOException e) {
                // not yet written
            }
            sleep(POLL);
        }
        throw new LabException(what + " did not start within " + timeout.toSeconds() + " s; see " + log);
    }

    /** Gateways, shops and edges ({@code n} each), then the DNS (UDP). */
    private static List<Integer> trafficPorts(int basePort, int n) {
        List<Integer> ports = new ArrayList<>();
        if (basePort == 0) {
            ports.addAll(freePorts(3 * n));
            try (java.net.DatagramSocket d = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                ports.add(d.getLocalPort());
            } catch (IOException e) {
                throw new LabException("cannot find a free UDP port: " + e.getMessage(), e);
            }
            return ports;
        }
        for (int offset : List.of(200, 300, 500)) {
            for (int i = 0; i < n; i++) {
                ports.add(basePort + offset + i);
            }
        }
        ports.add(basePort + 352);
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i);
            try (java.io.Closeable c = i < 3 * n ? bind(port) : new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
                // free
            } catch (IOException e) {
                throw new LabException("port " + port + " on 127.0.0.1 is in use; with --traffic the lab also needs ports "
                        + (basePort + 200) + "-" + (basePort + 202) + ", " + (basePort + 300) + "-" + (basePort + 302) + ", "
                        + (basePort + 500) + "-" + (basePort + 502) + " and UDP " + (basePort + 352)
                        + ". Choose others with --base-port, or 0 for any free ones");
            }
        }
        return ports;
    }

    private static ServerSocket bind(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return s;
    }

    /** Stops every process of the lab (SIGTERM, then SIGKILL after a grace period). */
    public boolean down(boolean purge) {
        Optional<LabState> state = state();
        state.ifPresent(this::stopAll);
        deleteState();
        if (purge) {
            deleteTree(root.resolve("data"));
        }
        return state.isPresent();
    }

    /** SIGKILLs one region's node: no shutdown hook runs, nothing is flushed. */
    public void kill(String region) {
        LabState state = requireState();
        LabState.RegionProcess r = requireRegion(state, region);
        Optional<ProcessHandle> h = r.process().handle();
        if (h.isEmpty()) {
            throw new LabException("region " + region + " is not running (pid " + r.pid() + " is gone)");
        }
        Optional<ProcessHandle> t = state.traffic() == null ? Optional.empty()
                : state.traffic().region(region).flatMap(p -> p.process().handle());
        h.get().destroyForcibly();
        t.ifPresent(ProcessHandle::destroyForcibly);
        h.get().onExit().join();
        t.ifPresent(p -> p.onExit().join());
    }

    /** Starts a killed region's node again on its data and waits until it answers. */
    public LabState.RegionProcess revive(String region, Duration timeout) {
        return revive(region, timeout, false);
    }

    /**
     * Starts a killed region's node again and waits until it answers. With {@code wipe}, its data
     * is deleted first: it comes back as a new, empty region and must bootstrap from a peer.
     */
    public LabState.RegionProcess revive(String region, Duration timeout, boolean wipe) {
        LabState state = requireState();
        LabState.RegionProcess r = requireRegion(state, region);
        if (r.process().handle().isPresent()) {
            throw new LabException("region " + region + " is running (pid " + r.pid() + "); `meridian lab kill "
                    + region + "` first");
        }
        if (wipe) {
            deleteTree(Path.of(r.dataDir()));
        }
        LabState.RegionProcess started = startRegion(Path.of(state.config()), region, r.url(), state.network());
        state = state.withRegion(started);
        save(state);
        awaitAnswer(started.url() + "/v1/health", started.pid(), Path.of(started.log()), timeout, "region " + region);
        LabState.TrafficProcess t = state.traffic() == null ? null : state.traffic().region(region).orElse(null);
        if (t != null && t.process().handle().isEmpty()) {
            LabState.TrafficProcess again = startTrafficRegion(Path.of(state.traffic().plan()), region, t.service(), t.gateway(), t.edge());
            save(state.withTraffic(state.traffic().withRegion(again)));
            awaitAnswer(again.gateway() + "/meridian/gateway/health", again.process().pid(), Path.of(again.log()), timeout, "the traffic layer of " + region);
        }
        return started;
    }

    /** One region's restart in a {@link #roll}: how long it took to stop (drained) and to be ready again. */
    public record RollStep(String region, long stopMillis, long readyMillis, boolean forced) {
    }

    /**
     * A rolling restart: each region's node in turn is stopped with SIGTERM (it drains: refuses new
     * requests, hands over the strong groups it leads, answers those in flight), started again on
     * its data, and waited for until its readiness check answers 200; then {@code settle} passes
     * (its peers see it again) before the next. A node that has not exited after the stop grace
     * is killed ({@code forced}). The traffic layer, if any, keeps running.
     */
    public List<RollStep> roll(Duration readyTimeout, Duration settle, java.util.function.Consumer<RollStep> each) {
        List<RollStep> steps = new ArrayList<>();
        for (String name : requireState().regions().stream().map(LabState.RegionProcess::name).toList()) {
            LabState state = requireState();
            LabState.RegionProcess r = requireRegion(state, name);
            long begin = System.nanoTime();
            boolean forced = false;
            Optional<ProcessHandle> h = r.process().handle();
            if (h.isPresent()) {
                h.get().destroy();
                long deadline = System.nanoTime() + STOP_GRACE.toNanos();
                while (h.get().isAlive() && System.nanoTime() < deadline) {
                    sleep(POLL);
                }
                if (h.get().isAlive()) {
                    forced = true;
                    h.get().destroyForcibly();
                    h.get().onExit().join();
                }
            }
            long stopped = System.nanoTime();
            LabState.RegionProcess started = startRegion(Path.of(state.config()), name, r.url(), state.network());
            save(state.withRegion(started));
            awaitAnswer(started.url() + "/v1/health/ready", started.pid(), Path.of(started.log()), readyTimeout, "region " + name);
            RollStep step = new RollStep(name, (stopped - begin) / 1_000_000, (System.nanoTime() - stopped) / 1_000_000, forced);
            steps.add(step);
            each.accept(step);
            sleep(settle);
        }
        return steps;
    }

    public JsonNode partition(String a, String b) {
        return control("/v1/partition?a=" + requireRegion(requireState(), a).name() + "&b="
                + requireRegion(requireState(), b).name());
    }

    /** Starts every link's lateness figure afresh ({@code POST /v1/links/reset-stats}): a benchmark's window. */
    public JsonNode resetLinkStats() {
        return control("/v1/links/reset-stats");
    }

    public JsonNode heal(String a, String b) {
        if (a == null) {
            return control("/v1/heal");
        }
        return control("/v1/heal?a=" + requireRegion(requireState(), a).name() + "&b=" + requireRegion(requireState(), b).name());
    }

    /**
     * One region as {@code lab status} shows it; {@code replication} is the replication part of its
     * {@code /v1/cluster} view (lag to each peer, unreplicated writes), null when it has none or is down.
     */
    public record RegionStatus(String name, String url, boolean healthy, String status, long pid, boolean running,
                               List<String> reasons, JsonNode replication, String gateway, String edge, String service) {
        RegionStatus(String name, String url, boolean healthy, String status, long pid, boolean running, List<String> reasons,
                     JsonNode replication) {
            this(name, url, healthy, status, pid, running, reasons, replication, null, null, null);
        }

        RegionStatus withTraffic(LabState.TrafficProcess t) {
            return t == null ? this : new RegionStatus(name, url, healthy, status, pid, running, reasons, replication, t.gateway(),
                    t.edge(), t.service());
        }
    }

    /**
     * @param dns     the lab's DNS ({@code 127.0.0.1:PORT}, UDP) with {@code --traffic}, else null
     * @param network the regions' namespaces with {@code --netns}, else null
     */
    public record Status(boolean running, String root, String config, double latencyScale, List<RegionStatus> regions,
                         JsonNode links, String dns, String serviceName, LabNetwork network) {
        Status(boolean running, String root, String config, double latencyScale, List<RegionStatus> regions, JsonNode links) {
            this(running, root, config, latencyScale, regions, links, null, null, null);
        }
    }

    public Status status() {
        Optional<LabState> maybe = state();
        if (maybe.isEmpty()) {
            return new Status(false, root.toString(), null, 0, List.of(), null);
        }
        LabState state = maybe.get();
        List<RegionStatus> regions = state.regions().stream().map(r -> regionStatus(state, r)
                .withTraffic(state.traffic() == null ? null : state.traffic().region(r.name()).orElse(null))).toList();
        JsonNode links = null;
        try {
            links = get(state.controlUrl() + "/v1/links").path("links");
        } catch (LabException e) {
            // the emulator is down; status shows no links
        }
        return new Status(true, root.toString(), state.config(), state.latencyScale(), regions, links,
                state.traffic() == null ? null : state.traffic().dnsAddress(), state.traffic() == null ? null : state.traffic().serviceName(),
                state.network());
    }

    private RegionStatus regionStatus(LabState state, LabState.RegionProcess r) {
        boolean running = r.process().handle().isPresent();
        if (!running) {
            return new RegionStatus(r.name(), r.url(), false, "down", r.pid(), false, List.of("process is not running"), null);
        }
        try {
            HttpResponse<byte[]> resp = http().send(HttpRequest.newBuilder(URI.create(r.url() + "/v1/health/ready"))
                    .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body = JSON.readTree(resp.body());
            List<String> reasons = new ArrayList<>();
            body.path("reasons").forEach(n -> reasons.add(n.asText()));
            JsonNode replication = null;
            try {
                JsonNode cluster = get(r.url() + "/v1/cluster").path("replication");
                replication = cluster.isMissingNode() || cluster.isNull() ? null : cluster;
            } catch (LabException e) {
                reasons.add("no cluster view: " + e.getMessage());
            }
            return new RegionStatus(r.name(), r.url(), resp.statusCode() == 200, body.path("status").asText("unknown"),
                    r.pid(), true, reasons, replication);
        } catch (IOException e) {
            return new RegionStatus(r.name(), r.url(), false, "unreachable", r.pid(), true, List.of(e.toString()), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new RegionStatus(r.name(), r.url(), false, "unknown", r.pid(), true, List.of("interrupted"), null);
        }
    }

    public Optional<LabState> state() {
        Path file = root.resolve(STATE_FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), LabState.class));
        } catch (IOException e) {
            throw new LabException("cannot read " + file + " (" + e.getMessage() + "); delete it if no lab is running", e);
        }
    }

    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private LabState requireState() {
        return state().orElseThrow(() -> new LabException("no lab is running from " + root + "; `meridian lab up` starts one"));
    }

    private static LabState.RegionProcess requireRegion(LabState state, String name) {
        return state.region(name).orElseThrow(() -> new LabException("region '" + name + "' is not in the lab; regions: "
                + String.join(", ", state.regions().stream().map(LabState.RegionProcess::name).toList())));
    }

    private Process spawn(List<String> args, Path log) {
        return spawn(args, log, Map.of());
    }

    private Process spawn(List<String> args, Path log, Map<String, String> environment) {
        return spawnCommand(launcher.command(args), log, environment);
    }

    private Process spawnCommand(List<String> command, Path log, Map<String, String> environment) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(environment);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new LabException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
    }

    private void awaitAnswer(String url, long pid, Path log, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == false) {
                throw new LabException(what + " exited while starting; the end of " + log + ":\n" + tail(log, 15));
            }
            try {
                HttpResponse<String> r = http().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                // A region is ready to drill once it holds its write lease, not merely answering.
                if (r.statusCode() == 200 && !r.body().contains("no write lease")) {
                    return;
                }
                last = "HTTP " + r.statusCode() + ": " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while waiting for " + what);
            }
            sleep(POLL);
        }
        throw new LabException(what + " was not ready within " + timeout.toSeconds() + " s (" + last + "); see " + log);
    }

    private JsonNode control(String pathAndQuery) {
        LabState state = requireState();
        try {
            HttpResponse<byte[]> r = http().send(HttpRequest.newBuilder(URI.create(state.controlUrl() + pathAndQuery))
                    .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() != 200) {
                throw new LabException("the WAN emulator refused: " + body.path("detail").asText());
            }
            return body.path("links");
        } catch (IOException e) {
            throw new LabException("the WAN emulator at " + state.controlUrl() + " does not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }

    /** GET of a JSON document from a lab process, or a LabException naming the URL. */
    JsonNode get(String url) {
        try {
            HttpResponse<byte[]> r = http().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3))
                    .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new LabException(url + " does not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }

    private void stopAll(LabState state) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (LabState.RegionProcess r : state.regions()) {
            r.process().handle().ifPresent(handles::add);
        }
        if (state.traffic() != null) {
            state.traffic().regions().forEach(t -> t.process().handle().ifPresent(handles::add));
            state.traffic().dns().handle().ifPresent(handles::add);
        }
        state.wan().handle().ifPresent(handles::add);
        handles.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (ProcessHandle h : handles) {
            while (h.isAlive() && System.nanoTime() < deadline) {
                sleep(POLL);
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        if (state.network() != null) {
            // a namespace with a process still in it outlives its name: wait for the killed ones first
            handles.forEach(h -> h.onExit().completeOnTimeout(h, STOP_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).join());
            state.network().delete();
        }
    }

    private static boolean anyAlive(LabState state) {
        return state.wan().handle().isPresent() || state.regions().stream().anyMatch(r -> r.process().handle().isPresent())
                || state.traffic() != null && (state.traffic().dns().handle().isPresent()
                || state.traffic().regions().stream().anyMatch(t -> t.process().handle().isPresent()));
    }

    private static String describe(LabState state) {
        return String.join(", ", state.regions().stream().map(r -> r.name() + " " + r.url() + " pid " + r.pid()).toList());
    }

    /** {@code n} distinct free TCP ports, below the ephemeral range so that no outgoing connection takes one first. */
    private static List<Integer> freePorts(int n) {
        try {
            return java.util.Arrays.stream(io.meridian.core.config.LoopbackPorts.free(n)).boxed().toList();
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw new LabException("cannot find free ports: " + e.getMessage(), e);
        }
    }

    /** Ports for the lab: consecutive from {@code basePort}, checked free; or free ones (see {@link #freePorts}). */
    private static List<Integer> ports(int basePort) {
        int n = LabTopology.Ports.count();
        List<Integer> ports = new ArrayList<>();
        if (basePort == 0) {
            return freePorts(n);
        }
        ports.addAll(LabTopology.Ports.fromBase(basePort));
        for (int port : ports) {
            if (port > 65_535) {
                throw new LabException("base port " + basePort + " leaves port " + port + " outside 1..65535");
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", port));
            } catch (IOException e) {
                throw new LabException("port " + port + " on 127.0.0.1 is in use; the lab needs ports " + basePort + "-"
                        + (basePort + 2) + ", " + (basePort + 50) + "-" + (basePort + 52) + ", " + (basePort + 60) + "-"
                        + (basePort + 62) + " and " + (basePort + 99) + "-" + (basePort + 125)
                        + ". Choose others with --base-port, or 0 for any free ones");
            }
        }
        return ports;
    }

    private void save(LabState state) {
        write(root.resolve(STATE_FILE), toJson(state));
    }

    private void deleteState() {
        try {
            Files.deleteIfExists(root.resolve(STATE_FILE));
        } catch (IOException e) {
            throw new LabException("cannot delete " + root.resolve(STATE_FILE) + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LabException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new LabException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }
}
