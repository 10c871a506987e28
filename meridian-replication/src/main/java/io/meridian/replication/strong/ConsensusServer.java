package io.meridian.replication.strong;

import io.meridian.core.api.StrongGroupView;
import io.meridian.core.api.StrongGroupView.Membership;
import io.meridian.core.config.HostPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;

/**
 * One region's consensus endpoint: a Ratis server hosting a group per strong keyspace (one peer
 * per region, named by region, see {@link RegionAddresses}), and a client per group that
 * submits transactions through whichever region leads.
 *
 * <p>Settings follow {@code notes/ratis.md}: storage under the region's data directory (never
 * /tmp), the gRPC server bound to the configured host only, linearizable reads by read index,
 * the leader lease on, election timeouts as given (about 5-10x the WAN round trip), and a client
 * retry policy that sleeps and gives up.
 */
public final class ConsensusServer implements AutoCloseable {
    static {
        // Ratis publishes every metric of every group as a JMX bean unless a reporter is registered before its first
        // metric registry: Meridian reads none of them, and a new leader registers its appenders' and requests'
        // metrics while it takes office (seen at 0.3-0.9 s between winning an election and starting to lead, on the
        // lab's loaded machine).
        org.apache.ratis.metrics.MetricRegistries.global().addReporterRegistration(registry -> { }, registry -> { });
        // Ratis ends the whole JVM (System.exit(1)) when its gRPC server cannot bind, a port in use for instance.
        // A node must instead say which port and why, and a test JVM must live to report: with exits disabled the
        // same failure is thrown (ExitUtils.ExitException, its cause the BindException) from RaftServer.start().
        org.apache.ratis.util.ExitUtils.disableSystemExit();
    }

    /** The log appender's sleeps between retries (see where it is set). */
    static final String APPENDER_RETRY_POLICY = "1ms,10, 100ms,1000000";

    /** Timings of the group; the defaults suit loopback, regions want several WAN round trips. */
    public record Timing(java.time.Duration electionMin, java.time.Duration electionMax, java.time.Duration requestTimeout,
                         int clientRetries, java.time.Duration clientRetrySleep, long snapshotEveryEntries, long logSegmentBytes) {
        public static final Timing LOOPBACK = new Timing(java.time.Duration.ofMillis(300), java.time.Duration.ofMillis(600),
                java.time.Duration.ofSeconds(3), 30, java.time.Duration.ofMillis(200), 100_000, 8L << 20);

        public Timing withSnapshots(long everyEntries, long segmentBytes) {
            return new Timing(electionMin, electionMax, requestTimeout, clientRetries, clientRetrySleep, everyEntries, segmentBytes);
        }
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ConsensusServer.class);

    private final RaftServer server;
    private final Map<String, RaftGroup> groups;
    private final Map<String, RaftClient> clients;
    /** Per group, its regions in leader-preference order (as configured: Ratis keeps a group's peers unordered). */
    private final Map<String, List<String>> orders = new java.util.LinkedHashMap<>();
    /**
     * How long a group's preferred region must have answered its leader steadily (never silent for
     * an election timeout's minimum: Ratis's heartbeats come every half of it, so an idle group's
     * follower is routinely silent for 0.5 s plus a round trip on the WAN) before the leadership is
     * handed to it: long enough that a region back from a failure has caught up and is not
     * flapping, short next to the minutes a failback takes. After a transfer that failed, the wait
     * doubles each time, up to {@link #RETURN_AFTER_AT_MOST}: a transfer refuses the group's writes
     * while it is pending.
     */
    static final java.time.Duration RETURN_AFTER = java.time.Duration.ofSeconds(5);
    static final java.time.Duration RETURN_AFTER_AT_MOST = java.time.Duration.ofMinutes(1);
    private Timing timing;
    /** How long a client request (a strong write, a control proposal) waits for its member before it tries another. */
    static final java.time.Duration CLIENT_REQUEST_TIMEOUT = java.time.Duration.ofSeconds(1);
    private final Map<String, String> rejoining = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Thread> rejoiners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;
    /** Where the control plane's leadership should go from this server, when it leads (see {@link #preferControlLeader}). */
    private volatile java.util.function.Supplier<java.util.Optional<io.meridian.core.failover.ControlPlacement.Preference>>
            controlPreference = java.util.Optional::empty;
    private RetryPolicy controlRetry;
    private RaftProperties clientProperties;
    /** Ratis parameters of this region's clients: TLS between regions, when on. */
    private org.apache.ratis.conf.Parameters clientParameters = new org.apache.ratis.conf.Parameters();
    private RetryPolicy retry;
    /** Counts the Raft connections' bytes when a meter was given (null: not counted). */
    private MeteredConsensus metered;

    private ConsensusServer(RaftServer server, Map<String, RaftGroup> groups, Map<String, RaftClient> clients) {
        this.server = server;
        this.groups = groups;
        this.clients = clients;
    }

    /** The name the control plane's group is hosted under (no keyspace can have it: names start with a letter). */
    public static final String CONTROL = "_control";

    /**
     * Ratis's parameters for a server or its clients: with TLS between regions, every Raft
     * connection (appends, votes, client requests, administration) shows this region's certificate
     * and takes only a configured region's.
     */
    private static org.apache.ratis.conf.Parameters parameters(io.meridian.replication.PeerTls tls) {
        org.apache.ratis.conf.Parameters p = new org.apache.ratis.conf.Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(p, new org.apache.ratis.grpc.GrpcTlsConfig(tls.keyManager(), tls.trustManager(), true));
        }
        return p;
    }

    /** The group id of a strong keyspace, or of the control plane: the same in every region. */
    public static RaftGroupId groupId(String keyspace) {
        String name = keyspace.equals(CONTROL) ? "meridian-control" : "meridian-strong:" + keyspace;
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)));
    }

    /** Every region in the same order for every keyspace. */
    public static ConsensusServer start(String region, HostPort bind, Path dir, List<String> regions,
                                        Map<String, ? extends org.apache.ratis.statemachine.StateMachine> machines,
                                        Map<String, HostPort> addresses, Timing timing) throws IOException {
        Map<String, List<String>> orders = new java.util.LinkedHashMap<>();
        machines.keySet().forEach(k -> orders.put(k, regions));
        return start(region, bind, dir, orders, machines, addresses, timing);
    }

    /**
     * Starts a region's groups from Meridian's own parts, so that callers see no Ratis type: a
     * state machine per strong keyspace on its store, and the control plane's when given.
     *
     * @param orders  per group (keyspace, or {@link #CONTROL}), its regions in leader-preference order
     * @param control the control plane's state machine, or null when this deployment has none
     */
    public static ConsensusServer start(String region, HostPort bind, Path dir, Map<String, List<String>> orders,
                                        Map<String, io.meridian.storage.StrongStore> stores,
                                        io.meridian.replication.control.ControlStateMachine control,
                                        Map<String, HostPort> addresses, Timing timing,
                                        io.meridian.core.cost.WanMeter meter, io.meridian.replication.PeerTls tls) throws IOException {
        Map<String, org.apache.ratis.statemachine.StateMachine> machines = new java.util.LinkedHashMap<>();
        if (control != null) {
            machines.put(CONTROL, control);
        }
        stores.forEach((keyspace, store) -> machines.put(keyspace, new KeyspaceStateMachine(store)));
        return start(region, bind, dir, orders, machines, addresses, timing, meter, tls);
    }

    /**
     * @param orders     per keyspace, every region of its group in leader-preference order (the first gets the highest
     *                   priority), the control plane's group ({@link #CONTROL}) included. The first f + 1 share the
     *                   top priority (io.meridian.core.failover.ControlPlacement#priority): a successor must not wait
     *                   for a cut-off leader's vote. A strong keyspace's leadership goes back to its first region
     *                   once that region answers steadily ({@link #RETURN_AFTER}).
     * @param machines   the state machine of each group hosted here, by keyspace (or {@link #CONTROL})
     * @param addresses  how this region reaches every region's consensus endpoint (itself included)
     */
    public static ConsensusServer start(String region, HostPort bind, Path dir, Map<String, List<String>> orders,
                                        Map<String, ? extends org.apache.ratis.statemachine.StateMachine> machines,
                                        Map<String, HostPort> addresses, Timing timing) throws IOException {
        return start(region, bind, dir, orders, machines, addresses, timing, null, null);
    }

    /**
     * @param meter where the Raft connections other regions open to this one count their bytes, and
     *              what they carried by group (null: not counted)
     * @param tls   TLS between regions, mutual, for every Raft connection this region accepts or opens (null: plaintext)
     */
    public static ConsensusServer start(String region, HostPort bind, Path dir, Map<String, List<String>> orders,
                                        Map<String, ? extends org.apache.ratis.statemachine.StateMachine> machines,
                                        Map<String, HostPort> addresses, Timing timing,
                                        io.meridian.core.cost.WanMeter meter, io.meridian.replication.PeerTls tls) throws IOException {
        RegionAddresses.use(addresses);
        Map<String, RaftGroup> groups = new java.util.LinkedHashMap<>();
        Map<RaftGroupId, org.apache.ratis.statemachine.StateMachine> byGroup = new java.util.HashMap<>();
        machines.forEach((keyspace, machine) -> {
            List<String> regions = orders.get(keyspace);
            List<RaftPeer> peers = new ArrayList<>();
            for (int i = 0; i < regions.size(); i++) {
                int priority = io.meridian.core.failover.ControlPlacement.priority(i, regions.size());
                peers.add(RaftPeer.newBuilder().setId(regions.get(i)).setAddress(RegionAddresses.of(regions.get(i)))
                        .setPriority(priority).build());
            }
            RaftGroup group = RaftGroup.valueOf(groupId(keyspace), peers);
            groups.put(keyspace, group);
            byGroup.put(group.getGroupId(), machine);
        });
        byGroup.put(WARM_UP, new org.apache.ratis.statemachine.impl.BaseStateMachine());
        RaftProperties properties = properties(bind, dir, timing);
        RaftPeerId self = RaftPeerId.valueOf(region);
        MeteredConsensus metered = null;
        org.apache.ratis.conf.Parameters parameters = parameters(tls);
        org.apache.ratis.conf.Parameters clientParameters = parameters(tls);
        if (meter != null) {
            Map<org.apache.ratis.thirdparty.com.google.protobuf.ByteString, String> labels = new java.util.HashMap<>();
            groups.forEach((keyspace, group) -> labels.put(group.getGroupId().toByteString(),
                    keyspace.equals(CONTROL) ? io.meridian.core.cost.WanMeter.CONTROL : keyspace));
            metered = new MeteredConsensus(meter, addresses.keySet(), labels);
            GrpcConfigKeys.Server.setServicesCustomizer(parameters, metered);
        }
        // RECOVER loads the groups already in the storage directory; the others are added once.
        RaftServer server = null;
        try {
            server = RaftServer.newBuilder()
                    .setServerId(self)
                    .setProperties(properties)
                    .setParameters(parameters)
                    .setStateMachineRegistry(byGroup::get)
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            server.start();
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                closeQuietly(server, e); // its storage locks and threads, so a corrected start can follow
            }
            if (metered != null) {
                metered.close(); // its event loops
            }
            java.util.Optional<java.net.BindException> inUse = bindFailure(e);
            if (inUse.isPresent()) {
                throw inUse.get();
            }
            throw e;
        }
        java.util.Set<RaftGroupId> present = new java.util.HashSet<>();
        server.getGroupIds().forEach(present::add);
        List<String> toRejoin = new ArrayList<>();
        for (Map.Entry<String, RaftGroup> e : groups.entrySet()) {
            RaftGroup group = e.getValue();
            Path marker = GroupJoin.marker(dir, e.getKey());
            if (present.contains(group.getGroupId())) {
                if (java.nio.file.Files.exists(marker)) {
                    toRejoin.add(e.getKey()); // a rejoin interrupted by a restart: finish it
                }
                continue;
            }
            GroupJoin.Plan plan = GroupJoin.decide(GroupJoin.probe(group, self, properties(bind, dir, timing), clientParameters));
            if (plan == GroupJoin.Plan.REJOIN) {
                java.nio.file.Files.createDirectories(marker.getParent());
                java.nio.file.Files.writeString(marker, "rejoining since " + java.time.Instant.now() + "\n");
                toRejoin.add(e.getKey());
            } else {
                addLocally(server, self, group);
            }
        }
        Map<String, RaftClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
        RetryPolicy retry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(timing.clientRetries(), ratis(timing.clientRetrySleep()));
        // The control plane's proposals (reports above all) must fail fast and be sent again, not linger: one
        // retry, and a short wait for each attempt. A partitioned link swallows requests: with three retries, the
        // proposal threads all hung on a cut-off leader for seconds and a new leader got no reports (a partition
        // drill of the control leader raised its failover 7 s after the cut).
        RetryPolicy controlRetry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(1, ratis(timing.clientRetrySleep()));
        // Every client (control proposals, strong writes) waits CLIENT_REQUEST_TIMEOUT per attempt. With Ratis's default
        // (3 s), a strong write sent to a leader just cut off waited 3 s before it tried another member, though a new
        // leader was ready 1.5 s after the cut (partition drills of the strong leader: 3.5 s without a strong write).
        // A timed-out request is sent again under its own call id, and the leader's retry cache answers a second copy
        // as the first.
        RaftProperties clientProperties = properties(bind, dir, timing);
        org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(clientProperties, ratis(CLIENT_REQUEST_TIMEOUT));
        groups.forEach((keyspace, group) -> clients.put(keyspace, RaftClient.newBuilder().setParameters(clientParameters).setClientId(MeteredConsensus.clientId(region))
                .setRaftGroup(group).setProperties(clientProperties)
                .setRetryPolicy(keyspace.equals(CONTROL) ? controlRetry : retry).build()));
        ConsensusServer consensus = new ConsensusServer(server, groups, clients);
        consensus.metered = metered;
        groups.keySet().forEach(keyspace -> consensus.orders.put(keyspace, List.copyOf(orders.get(keyspace))));
        consensus.timing = timing;
        consensus.controlRetry = controlRetry;
        consensus.clientProperties = clientProperties;
        consensus.clientParameters = clientParameters;
        consensus.retry = retry;
        for (String keyspace : toRejoin) {
            consensus.startRejoin(keyspace, dir, properties);
        }
        Thread.ofPlatform().daemon().name("consensus-warm-up").start(() -> consensus.warmUp(self, RegionAddresses.of(region)));
        Thread.ofPlatform().daemon().name("consensus-leadership").start(consensus::handLeadershipBack);
        return consensus;
    }

    /**
     * The bind failure in {@code e}'s causes as a {@link java.net.BindException}: Ratis's shaded Netty
     * reports it as its own {@code NativeIoException} ("bind(..) failed with error(-98): Address already
     * in use"), which callers could not tell from any other I/O failure.
     */
    static java.util.Optional<java.net.BindException> bindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException b) {
                return java.util.Optional.of(b);
            }
            String m = t.getMessage();
            if (m != null && m.startsWith("bind(")) {
                java.net.BindException b = new java.net.BindException(m.substring(m.indexOf(':') + 1).trim());
                b.initCause(e);
                return java.util.Optional.of(b);
            }
        }
        return java.util.Optional.empty();
    }

    private static void closeQuietly(RaftServer server, Exception failure) {
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static void addLocally(RaftServer server, RaftPeerId self, RaftGroup group) throws IOException {
        RaftClientReply added = server.groupManagement(org.apache.ratis.protocol.GroupManagementRequest.newAdd(
                org.apache.ratis.protocol.ClientId.randomId(), self, 0, group));
        if (!added.isSuccess()) {
            server.close();
            throw new IOException("cannot add consensus group " + group.getGroupId() + ": " + added.getException());
        }
    }

    /**
     * Brings this region back into a group whose state it lost: first the others remove it from
     * the configuration (so that it cannot vote, or count towards a commit, with an empty log),
     * then it hosts the group again, then the leader adds it back with its priority. Ratis stages
     * an added member (it catches up as a non-voting member, by log or snapshot) before the new
     * configuration counts it. Each step is retried until it succeeds; the group is
     * {@link Membership#REJOINING} until then.
     */
    private void startRejoin(String keyspace, Path dir, RaftProperties properties) {
        RaftGroup group = groups.get(keyspace);
        RaftPeerId self = server.getId();
        List<RaftPeer> all = new ArrayList<>(group.getPeers());
        List<RaftPeer> others = all.stream().filter(p -> !p.getId().equals(self)).toList();
        rejoining.put(keyspace, "waiting for the others to remove this region's old membership");
        Thread t = Thread.ofPlatform().daemon().name("rejoin-" + keyspace).start(() -> {
            long started = System.nanoTime();
            try {
                log.warn("{} holds no Raft state for '{}' but the group has committed entries: it lost its disk,"
                        + " and rejoins as a new member", self, keyspace);
                if (!hosts(keyspace)) {
                    retry(keyspace, () -> reconfigure(group, others, properties));
                    rejoining.put(keyspace, "hosting the group again");
                    addLocally(server, self, group);
                }
                rejoining.put(keyspace, "catching up and being added back as a voter");
                retry(keyspace, () -> reconfigure(group, all, properties));
                java.nio.file.Files.deleteIfExists(GroupJoin.marker(dir, keyspace));
                rejoining.remove(keyspace);
                log.warn("{} rejoined '{}' as a voter in {} ms", self, keyspace, (System.nanoTime() - started) / 1_000_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                rejoining.put(keyspace, "failed: " + e.getMessage());
                log.error("{} could not rejoin '{}'", self, keyspace, e);
            }
        });
        rejoiners.add(t);
    }

    private interface Step {
        void run() throws IOException;
    }

    private void retry(String keyspace, Step step) throws InterruptedException {
        while (!closed) {
            try {
                step.run();
                return;
            } catch (IOException | RuntimeException e) {
                log.info("rejoining '{}': {}; retrying", keyspace, e.getMessage());
                Thread.sleep(1_000);
            }
        }
        throw new InterruptedException("closed");
    }

    /**
     * Sets the group's voters through its leader, asking the other members in turn: this region
     * does not host the group while it rejoins, so a request sent to it would fail.
     */
    private void reconfigure(RaftGroup group, List<RaftPeer> voters, RaftProperties properties) throws IOException {
        IOException last = null;
        for (RaftPeer peer : group.getPeers()) {
            if (peer.getId().equals(server.getId())) {
                continue;
            }
            try (RaftClient admin = RaftClient.newBuilder().setParameters(clientParameters).setClientId(MeteredConsensus.clientId(server.getId().toString())).setRaftGroup(group).setLeaderId(peer.getId())
                    .setProperties(properties).setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
                            TimeDuration.valueOf(200, TimeUnit.MILLISECONDS))).build()) {
                RaftClientReply reply = admin.admin().setConfiguration(voters);
                if (reply.isSuccess()) {
                    return;
                }
                last = new IOException("the membership change failed: " + reply.getException());
            } catch (IOException e) {
                last = e;
            }
        }
        throw last == null ? new IOException("no other member to ask") : last;
    }

    /** Whether this region votes in the keyspace's group, or is still rejoining it. */
    public Membership membership(String keyspace) {
        return rejoining.containsKey(keyspace) ? Membership.REJOINING : Membership.VOTER;
    }

    private void requireHosted(String keyspace) throws IOException {
        String step = rejoining.get(keyspace);
        if (step != null && !hosts(keyspace)) {
            throw new IOException("this region lost its Raft state for '" + keyspace + "' and is rejoining the group ("
                    + step + ")");
        }
    }

    private boolean hosts(String keyspace) {
        RaftGroupId id = groups.get(keyspace).getGroupId();
        for (RaftGroupId g : server.getGroupIds()) {
            if (g.equals(id)) {
                return true;
            }
        }
        return false;
    }

    private static TimeDuration ratis(java.time.Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static RaftProperties properties(HostPort bind, Path dir, Timing timing) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(dir.resolve("ratis").toFile()));
        RaftServerConfigKeys.setRemovedGroupsDir(p, dir.resolve("ratis-removed").toFile());
        GrpcConfigKeys.Server.setHost(p, bind.host());
        GrpcConfigKeys.Server.setPort(p, bind.port());
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, ratis(timing.electionMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, ratis(timing.electionMax()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, ratis(timing.requestTimeout()));
        // Ratis 3.3's default composes a follower's appends asynchronously on its server executor: right after a
        // partition healed, the old leader (now a follower) ran two appends at once and its log refused every
        // later one for good ("Already running a method by ...", "gap between start index ... and first entry
        // to append"), seen twice in ~30 partition drills. Appending in the request's own order avoids that race.
        RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, true);
        // Snapshot every so many entries, purge the log up to it; segments roll at this size.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, timing.snapshotEveryEntries());
        // Log repair steps back one entry per INCONSISTENCY reply, and each reply counts as an error: with Ratis's
        // default appender policy (1 ms x10, 1 s x20, then 5 s) a follower with a 140-entry divergent tail took
        // ~10 min to catch up (seen in a CI run: the leader could not go back to its preferred region). 100 ms
        // between retries repairs it in seconds and retries a dead peer ten times a second.
        RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, APPENDER_RETRY_POLICY);
        GrpcConfigKeys.Server.setLeaderOutstandingAppendsMax(p, OUTSTANDING_APPENDS);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(Integer.MAX_VALUE, timing.snapshotEveryEntries()));
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, org.apache.ratis.util.SizeInBytes.valueOf(timing.logSegmentBytes()));
        return p;
    }

    /**
     * Submits a transaction given as the JSON of {@code POST /v1/txn} and answers in that API's
     * JSON (succeeded and results, or error and detail): for tests and tools.
     */
    public String submit(String keyspace, byte[] txnJson) throws IOException {
        return TxnJson.render(submit(keyspace, io.meridian.core.txn.TxnParser.parse(txnJson), false));
    }

    /**
     * Commits a transaction through the leader (in its durable binary form); with
     * {@code everyRegion}, returns only once every region of the group has committed it
     * ({@code sync: all}), not just a quorum.
     */
    public TxnCodec.Reply submit(String keyspace, io.meridian.core.txn.Txn txn, boolean everyRegion) throws IOException {
        // One id per request: if the client resends it after a leader change, the state machine applies it once.
        return submit(keyspace, txn, everyRegion, java.util.UUID.randomUUID());
    }

    /**
     * As {@link #submit(String, io.meridian.core.txn.Txn, boolean)}, as request {@code requestId}:
     * a request id the keyspace's recent entries (the last {@link io.meridian.storage.StrongStore#REQUESTS_KEPT})
     * already applied is answered with that reply, and applies nothing.
     */
    public TxnCodec.Reply submit(String keyspace, io.meridian.core.txn.Txn txn, boolean everyRegion, java.util.UUID requestId)
            throws IOException {
        Proposals.Outcome outcome;
        try {
            outcome = proposals(keyspace).propose(txn, requestId).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for a strong write to commit");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        if (everyRegion) {
            throughHandoffs(() -> requireSuccess(leaderClient(keyspace).io().watch(outcome.logIndex(),
                    org.apache.ratis.proto.RaftProtos.ReplicationLevel.ALL_COMMITTED)));
        }
        return outcome.reply();
    }

    /**
     * Appends a leader keeps in flight to each follower. Ratis's default, 8, is a window of 8 appends
     * per round trip: across the lab's 70 ms to the nearest follower, about 114 appends a second, and
     * under 16 concurrent writers the leader waited on that window rather than on the network
     * (measured on the lab, warm: 16 writers p50 100-104 ms → 85-86 ms, 64 writers 477-505 → 596-601
     * writes/s; docs/benchmarks.md). etcd lets 256 appends be in flight.
     */
    static final int OUTSTANDING_APPENDS = 128;

    /**
     * Entries of one strong keyspace proposed at a time; concurrent writes beyond them share entries.
     * 16 rather than 8: with 16 writers in one region, 8 entries in flight made writes wait for a slot
     * while the append window had room (lab, warm, four runs each: 171-176 → 189-196 writes/s, p99
     * 141-152 → 118-138 ms). At 64 writers throughput is the same (572-640 → 628-652 /s) but entries
     * are smaller: bytes per write rise about 9 % and CPU per write (three nodes) about 20 %. A rule
     * that dropped back to 8 under load made the 64-writer p99 worse (257-300 ms), so it is one number.
     * docs/benchmarks.md, "Issue 12, sixth session".
     */
    static final int PROPOSALS_IN_FLIGHT = 16;
    /** Transactions one entry carries at most. */
    static final int TRANSACTIONS_PER_ENTRY = 256;
    /** Bytes of transactions one entry carries at most (a larger transaction still goes alone). */
    static final long ENTRY_BYTES = 1 << 20;

    private final Map<String, Proposals> proposals = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService proposers = java.util.concurrent.Executors.newCachedThreadPool(
            Thread.ofPlatform().name("strong-proposal-", 0).daemon().factory());

    private Proposals proposals(String keyspace) {
        if (!groups.containsKey(keyspace)) {
            throw new IllegalArgumentException("no consensus group for keyspace '" + keyspace + "'");
        }
        return proposals.computeIfAbsent(keyspace, k -> new Proposals(entry -> proposeHere(k, entry).thenCompose(here -> here.isPresent()
                ? java.util.concurrent.CompletableFuture.completedFuture(here.get()) : throughClient(k, entry)),
                PROPOSALS_IN_FLIGHT, TRANSACTIONS_PER_ENTRY, ENTRY_BYTES));
    }

    /**
     * Proposes an entry through the region's Raft client, which finds the leader and retries, on a
     * proposer thread: the client blocks until the entry is applied.
     */
    private java.util.concurrent.CompletableFuture<Proposals.Sent> throughClient(String keyspace, byte[] entry) {
        try {
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return throughHandoffs(() -> sent(leaderClient(keyspace).io().send(Message.valueOf(
                            org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(entry)))));
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, proposers);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IOException("the consensus server is closing", e));
        }
    }

    /** A committed entry's reply and index, or the failure the reply carries. */
    private static Proposals.Sent sent(RaftClientReply reply) throws IOException {
        if (!reply.isSuccess()) {
            throw failure(reply);
        }
        return new Proposals.Sent(reply.getMessage().getContent().toByteArray(), reply.getLogIndex());
    }

    /** The client id of entries this server proposes to itself as leader ({@link #proposeHere}). */
    private final org.apache.ratis.protocol.ClientId localProposer = org.apache.ratis.protocol.ClientId.randomId();
    private final java.util.concurrent.atomic.AtomicLong localCalls = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong proposedHere = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Proposes an entry straight to this server's own division when it leads the group and is
     * ready, instead of through a Raft client: the client would serialise the request, send it over
     * a loopback gRPC connection to this same process, and hand it between threads there and back
     * (on the lab under 64 writers at the leader, the three nodes' CPU per write fell 13-20 % without
     * that round trip; docs/benchmarks.md, "Issue 12, thirteenth session"). No thread waits for the
     * entry: the future completes on the thread that applies it. Empty when this server does not
     * lead, refused it as not (or no longer) the leader, or did not answer within a client's request
     * timeout: the caller then sends it through the client, which finds the leader and retries.
     * Sending an entry again is safe: the state machine applies each transaction's request id once,
     * whichever entry carries it first.
     */
    private java.util.concurrent.CompletableFuture<java.util.Optional<Proposals.Sent>> proposeHere(String keyspace, byte[] entry) {
        java.util.concurrent.CompletableFuture<java.util.Optional<Proposals.Sent>> notHere =
                java.util.concurrent.CompletableFuture.completedFuture(java.util.Optional.empty());
        if (closed || !leaderReady(keyspace)) {
            return notHere;
        }
        org.apache.ratis.protocol.RaftClientRequest request = org.apache.ratis.protocol.RaftClientRequest.newBuilder()
                .setClientId(localProposer).setServerId(server.getId()).setGroupId(groups.get(keyspace).getGroupId())
                .setCallId(localCalls.incrementAndGet())
                .setMessage(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(entry)))
                .setType(org.apache.ratis.protocol.RaftClientRequest.writeRequestType()).build();
        java.util.concurrent.CompletableFuture<RaftClientReply> replied;
        try {
            // A copy: the timeout below must not complete Ratis's own future.
            replied = server.submitClientRequestAsync(request).copy();
        } catch (IOException | RuntimeException e) {
            return notHere;
        }
        return replied.orTimeout(CLIENT_REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).handle((reply, failure) -> {
            if (failure != null || reply.getNotLeaderException() != null || reply.getLeaderNotReadyException() != null
                    || reply.getException() instanceof LeaderSteppingDownException) {
                return java.util.Optional.empty(); // no longer the leader, or not committing: the client finds who is
            }
            try {
                Proposals.Sent sent = sent(reply);
                proposedHere.incrementAndGet();
                return java.util.Optional.of(sent);
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    /** Entries this server proposed to itself as the group's leader, without a client, since start. */
    public long proposedHere() {
        return proposedHere.get();
    }

    /** Strong write entries proposed, and the transactions they carried, per keyspace since start. */
    public Map<String, long[]> proposalCounts() {
        Map<String, long[]> counts = new java.util.TreeMap<>();
        proposals.forEach((k, p) -> counts.put(k, p.counts()));
        return counts;
    }

    /**
     * Proposes a control plane command without waiting: the reply (the state machine's answer)
     * completes the future, or it fails after {@code timeout}.
     */
    public java.util.concurrent.CompletableFuture<String> proposeControl(byte[] command, java.time.Duration timeout) {
        // Blocking sends on a small pool, not Ratis's async API: that one keeps a client's requests in
        // order, so one request retrying towards a dead leader holds back every later one.
        try {
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return requireSuccess(leaderClient(CONTROL).io().send(Message.valueOf(
                            org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(command))));
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, controlProposals).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(new IOException("too many control plane proposals waiting"));
        }
    }

    /** Bounded: proposals that cannot be sent now fail at once, and the agent sends them again on a later tick. */
    private final java.util.concurrent.ExecutorService controlProposals = new java.util.concurrent.ThreadPoolExecutor(
            16, 16, 0, TimeUnit.MILLISECONDS, new java.util.concurrent.ArrayBlockingQueue<>(32),
            Thread.ofPlatform().name("control-proposal-", 0).daemon().factory());

    /**
     * Whether this server leads {@code keyspace}'s group and has committed its first entry of the term:
     * until then Ratis refuses proposals (LeaderNotReadyException), and a proposal sent anyway costs a
     * retry.
     */
    public boolean leaderReady(String keyspace) {
        if (!hosts(keyspace)) {
            return false;
        }
        try {
            var info = server.getDivision(groups.get(keyspace).getGroupId()).getInfo();
            return info.isLeader() && info.isLeaderReady();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** What this region knows of a keyspace's group: the leader, and how long since it last heard from it. */
    public StrongGroupView view(String keyspace) throws IOException {
        if (!hosts(keyspace)) {
            return new StrongGroupView(keyspace, null, false, -1, -1, membership(keyspace));
        }
        var division = server.getDivision(groups.get(keyspace).getGroupId());
        var info = division.getInfo();
        try {
            RaftPeerId leader = info.getLeaderId();
            long silent = -1;
            var role = info.getRoleInfoProto();
            if (info.isLeader()) {
                silent = 0;
            } else if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
                silent = role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs();
            }
            return new StrongGroupView(keyspace, leader == null ? null : leader.toString(), info.isLeader(),
                    info.getLastAppliedIndex(), silent, membership(keyspace));
        } catch (RuntimeException e) {
            // A division hosted but not yet in the group's configuration (a rejoin between its steps) has no
            // role yet, and Ratis's role info throws: nothing is known of the group here for now.
            return new StrongGroupView(keyspace, null, false, -1, -1, membership(keyspace));
        }
    }

    /**
     * Starts an election of this server in {@code keyspace}'s group now, instead of when Ratis's own
     * election timer next looks (it sleeps one random timeout per check, so it notices a dead leader
     * one to two timeouts after the leader's last message). Only while this server follows {@code leader}
     * and has not heard from it for at least {@code silentFor}.
     *
     * <p>Ratis starts an election at once only when the leader asks it to (leadership transfer);
     * this hands the local server that request in the dead leader's name, as of this server's own
     * last log entry. Safety does not depend on who starts an election: votes still go only to a
     * candidate whose log is as long as the voter's. The election skips the pre-vote, so it deposes
     * a leader that is alive but cut off from this server: callers start one only on their own
     * failure detector's suspicion of the leader, confirmed here by Ratis's silence.
     *
     * @return whether the election started
     */
    public boolean campaign(String keyspace, String leader, java.time.Duration silentFor) throws IOException {
        if (!hosts(keyspace)) {
            return false;
        }
        RaftGroupId id = groups.get(keyspace).getGroupId();
        var division = server.getDivision(id);
        var info = division.getInfo();
        RaftPeerId current = info.getLeaderId();
        if (!info.isFollower() || current == null || !current.toString().equals(leader)) {
            return false;
        }
        var role = info.getRoleInfoProto();
        if (!role.hasFollowerInfo() || !role.getFollowerInfo().hasLeaderInfo()
                || role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs() < silentFor.toMillis()) {
            return false;
        }
        org.apache.ratis.server.protocol.TermIndex last = division.getRaftLog().getLastEntryTermIndex();
        if (last == null) {
            return false;
        }
        var request = org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto.newBuilder()
                .setServerRequest(org.apache.ratis.client.impl.ClientProtoUtils.toRaftRpcRequestProtoBuilder(
                        org.apache.ratis.protocol.RaftGroupMemberId.valueOf(current, id), server.getId()))
                .setLeaderLastEntry(last.toProto())
                .build();
        return server.startLeaderElection(request).getServerReply().getSuccess();
    }

    /** Per group hosted here ({@link #CONTROL} included), the term and index of the last entry of this server's log. */
    public Map<String, io.meridian.core.failover.PeerWord.LogPosition> logPositions() {
        Map<String, io.meridian.core.failover.PeerWord.LogPosition> out = new java.util.LinkedHashMap<>();
        groups.forEach((keyspace, group) -> {
            try {
                org.apache.ratis.server.protocol.TermIndex last = server.getDivision(group.getGroupId()).getRaftLog().getLastEntryTermIndex();
                if (last != null) {
                    out.put(keyspace, new io.meridian.core.failover.PeerWord.LogPosition(last.getTerm(), last.getIndex()));
                }
            } catch (IOException | RuntimeException e) {
                // not hosted (yet), or closing: nothing to tell
            }
        });
        return out;
    }

    /** The current term of {@code keyspace}'s group at this server (tests). */
    long term(String keyspace) throws IOException {
        return server.getDivision(groups.get(keyspace).getGroupId()).getInfo().getCurrentTerm();
    }

    /** A linearizable read of one key (read index at the leader). */
    public String readLinearizable(String keyspace, String key) throws IOException {
        // A leader stepping down still answers reads (measured: only writes are refused during a handoff).
        return requireSuccess(leaderClient(keyspace).io().sendReadOnly(KeyspaceStateMachine.get(key)));
    }

    /** A read of this region's replica as it is, however stale. */
    public String readLocal(String keyspace, String key) throws IOException {
        requireHosted(keyspace);
        return requireSuccess(client(keyspace).io().sendStaleRead(KeyspaceStateMachine.get(key), 0,
                server.getId()));
    }

    /** Every group this server was started with, by keyspace ({@link #CONTROL} included): its regions in leader-preference order. */
    public Map<String, List<String>> orders() {
        return java.util.Collections.unmodifiableMap(orders);
    }

    /**
     * Where the control plane's leadership should move while this server leads it: asked a few times
     * a second; the move waits, as a strong keyspace's does, until the region has answered steadily
     * for {@link #RETURN_AFTER}. Only a region sharing the group's top priority is moved to (Ratis
     * would hand the leadership on from any other).
     */
    public void preferControlLeader(java.util.function.Supplier<java.util.Optional<io.meridian.core.failover.ControlPlacement.Preference>> where) {
        controlPreference = where;
    }

    /**
     * Keeps each group's leadership where it is preferred: a strong keyspace's in its first region
     * (the first f + 1 regions share the top Raft priority, so Ratis itself hands it back only to
     * one of them, not to the first), the control plane's where {@link #preferControlLeader} says.
     * While this server leads a group whose preferred region is another, and that region has never
     * been silent for an election timeout's minimum during {@link #RETURN_AFTER}, the leadership is
     * transferred to it. Ratis refuses the group's writes while a transfer is pending ({@link #throughHandoffs}
     * sends them again), so a transfer may take one election timeout's minimum, not longer: Ratis
     * elects the transferee within that once it has caught up. Without that bound, transfers that
     * could not finish under a benchmark's load (the transferee behind) held the strong keyspace's
     * writes for 10 s each (p99 1.2 s at 16 writers).
     */
    private void handLeadershipBack() {
        long answersWithin = timing.electionMin().toMillis();
        Map<String, Long> steadySince = new java.util.HashMap<>();
        Map<String, Long> waitNanos = new java.util.HashMap<>();
        while (!closed) {
            try {
                Thread.sleep(Math.max(50, answersWithin / 4));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            orders.forEach((keyspace, order) -> {
                if (order.isEmpty() || closed || !leaderReady(keyspace)) {
                    steadySince.remove(keyspace);
                    return;
                }
                java.util.Optional<io.meridian.core.failover.ControlPlacement.Preference> to = keyspace.equals(CONTROL)
                        ? controlPreference.get()
                        : java.util.Optional.of(new io.meridian.core.failover.ControlPlacement.Preference(order.getFirst(), "its first region"));
                java.util.OptionalLong silent = to.filter(p -> io.meridian.core.failover.ControlPlacement.topPriority(order).contains(p.region()))
                        .map(p -> silenceOfFollower(keyspace, p.region())).orElse(java.util.OptionalLong.empty());
                if (silent.isEmpty() || silent.getAsLong() > answersWithin) {
                    steadySince.remove(keyspace);
                    return;
                }
                long wait = waitNanos.getOrDefault(keyspace, RETURN_AFTER.toNanos());
                if (now - steadySince.computeIfAbsent(keyspace, k -> now) < wait) {
                    return;
                }
                steadySince.remove(keyspace);
                String target = to.get().region();
                String outcome;
                boolean done = false;
                try {
                    RaftClientReply reply = handOver(keyspace, target, answersWithin);
                    done = reply.isSuccess();
                    outcome = done ? "done" : String.valueOf(reply.getException());
                } catch (IOException | RuntimeException e) {
                    outcome = e.toString();
                }
                if (done) {
                    waitNanos.remove(keyspace);
                } else {
                    waitNanos.put(keyspace, Math.min(2 * wait, RETURN_AFTER_AT_MOST.toNanos()));
                }
                log.info("leadership of '{}' handed to {} ({}): {}{}", keyspace, target, to.get().why(), outcome,
                        done ? "" : "; next try after " + java.time.Duration.ofNanos(waitNanos.get(keyspace)).toSeconds() + " s steady");
            });
        }
    }

    /**
     * How long since {@code follower} last answered this server's appends for {@code keyspace}'s
     * group; empty unless this server leads it, ready, and {@code follower} is another member.
     */
    private java.util.OptionalLong silenceOfFollower(String keyspace, String follower) {
        if (follower.equals(server.getId().toString()) || !leaderReady(keyspace)) {
            return java.util.OptionalLong.empty();
        }
        try {
            var role = server.getDivision(groups.get(keyspace).getGroupId()).getInfo().getRoleInfoProto();
            if (!role.hasLeaderInfo()) {
                return java.util.OptionalLong.empty();
            }
            return role.getLeaderInfo().getFollowerInfoList().stream()
                    .filter(f -> f.getId().getId().toStringUtf8().equals(follower))
                    .mapToLong(org.apache.ratis.proto.RaftProtos.ServerRpcProto::getLastRpcElapsedTimeMs).findFirst();
        } catch (IOException | RuntimeException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /**
     * Before a planned stop: hands every group this server leads to the member that answered its
     * appends last, so that writes go on after one transfer rather than after an election timeout.
     * A group whose transfer fails is left to elect a leader when this server stops.
     *
     * @return the keyspaces (and the control plane) handed over
     */
    public List<String> stepDown() {
        List<String> handed = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        // All at once; closing the executor waits for every transfer.
        try (var transfers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (String keyspace : groups.keySet()) {
                if (leaderReady(keyspace)) {
                    transfers.submit(() -> {
                        if (stepDown(keyspace)) {
                            handed.add(keyspace);
                        }
                    });
                }
            }
        }
        return List.copyOf(handed);
    }

    /**
     * Hands one group this server leads to the member Ratis accepts (Ratis transfers only to a
     * member of the highest priority among the others), the one that answered last among those.
     */
    private boolean stepDown(String keyspace) {
        String self = server.getId().toString();
        java.util.Optional<String> target;
        try {
            var peers = server.getDivision(groups.get(keyspace).getGroupId()).getRaftConf().getCurrentPeers().stream()
                    .filter(p -> !p.getId().toString().equals(self)).toList();
            int top = peers.stream().mapToInt(org.apache.ratis.protocol.RaftPeer::getPriority).max().orElse(0);
            target = peers.stream().filter(p -> p.getPriority() == top).map(p -> p.getId().toString())
                    .filter(id -> silenceOfFollower(keyspace, id).isPresent())
                    .min(java.util.Comparator.comparingLong(id -> silenceOfFollower(keyspace, id).orElse(Long.MAX_VALUE)));
        } catch (IOException | RuntimeException e) {
            target = java.util.Optional.empty();
        }
        if (target.isEmpty()) {
            return false;
        }
        try {
            RaftClientReply reply = handOver(keyspace, target.get(), 2 * timing.electionMin().toMillis());
            log.info("stopping: leadership of '{}' handed to {}: {}", keyspace, target.get(),
                    reply.isSuccess() ? "done" : String.valueOf(reply.getException()));
            return reply.isSuccess();
        } catch (IOException | RuntimeException e) {
            log.info("stopping: leadership of '{}' not handed to {}: {}", keyspace, target.get(), e.toString());
            return false;
        }
    }

    /** Hands the leadership of {@code keyspace}'s group, which this server leads, to {@code target} (tests). */
    boolean transferLeadership(String keyspace, String target, java.time.Duration timeout) throws IOException {
        return handOver(keyspace, target, timeout.toMillis()).isSuccess();
    }

    /**
     * Asks this server, leading {@code keyspace}'s group, to hand the leadership to {@code target},
     * once. Every attempt makes the leader refuse writes until it ends, so it goes through a client
     * that does not retry: through the group's own (retrying) client, a target that died during the
     * transfer had the leader refuse writes, attempt after attempt, for the whole retry budget. The
     * hand-back loop tries again later by itself.
     */
    private RaftClientReply handOver(String keyspace, String target, long timeoutMs) throws IOException {
        try (RaftClient once = RaftClient.newBuilder().setParameters(clientParameters).setClientId(MeteredConsensus.clientId(server.getId().toString()))
                .setRaftGroup(groups.get(keyspace)).setProperties(clientProperties).setRetryPolicy(RetryPolicies.noRetry())
                .setLeaderId(server.getId()).build()) {
            return once.admin().transferLeadership(RaftPeerId.valueOf(target), timeoutMs);
        }
    }

    /** The region leading a keyspace's group as this region knows it, if any. */
    public java.util.Optional<String> leader(String keyspace) throws IOException {
        if (!hosts(keyspace)) {
            return java.util.Optional.empty();
        }
        var division = server.getDivision(groups.get(keyspace).getGroupId());
        try {
            return java.util.Optional.ofNullable(division.getInfo().getLeaderId()).map(RaftPeerId::toString);
        } catch (RuntimeException e) {
            return java.util.Optional.empty(); // no role yet (see view)
        }
    }

    /**
     * A group's client, pointed at the leader this region's server knows of. After a leader dies,
     * this region's requests (control plane reports, strong writes) go to the new leader as soon as
     * this region hears from it, instead of retrying towards the dead one first (which held a
     * failover back by seconds). A replaced client is closed a little later, once the requests it
     * carries have had their chance.
     */
    private RaftClient leaderClient(String keyspace) {
        RaftClient c = client(keyspace);
        java.util.Optional<String> known;
        try {
            known = leader(keyspace);
        } catch (IOException | RuntimeException e) {
            return c;
        }
        if (known.isEmpty() || known.get().equals(String.valueOf(c.getLeaderId())) || clientProperties == null) {
            return c;
        }
        synchronized (clients) {
            RaftClient current = clients.get(keyspace);
            if (known.get().equals(String.valueOf(current.getLeaderId()))) {
                return current;
            }
            boolean control = keyspace.equals(CONTROL);
            RaftClient fresh = RaftClient.newBuilder().setParameters(clientParameters).setClientId(MeteredConsensus.clientId(server.getId().toString())).setRaftGroup(groups.get(keyspace))
                    .setProperties(clientProperties).setRetryPolicy(control ? controlRetry : retry)
                    .setLeaderId(RaftPeerId.valueOf(known.get())).build();
            clients.put(keyspace, fresh);
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(30_000);
                    current.close();
                } catch (InterruptedException | IOException ignored) {
                    // closing a client nobody uses any more
                }
            });
            return fresh;
        }
    }

    private RaftClient client(String keyspace) {
        RaftClient c = clients.get(keyspace);
        if (c == null) {
            throw new IllegalArgumentException("no strong keyspace '" + keyspace + "' here");
        }
        return c;
    }

    private static String requireSuccess(RaftClientReply reply) throws IOException {
        if (!reply.isSuccess()) {
            throw failure(reply);
        }
        return KeyspaceStateMachine.text(reply.getMessage());
    }

    private static IOException failure(RaftClientReply reply) {
        return reply.getException() instanceof LeaderSteppingDownException e ? e
                : new IOException("consensus request failed: " + reply.getException());
    }

    /** A request to a group's leader that may be refused by a leader handing its office on. */
    @FunctionalInterface
    interface LeaderCall<T> {
        T call() throws IOException;
    }

    /**
     * Runs a request to a group's leader through a leadership handoff. A leader that is stepping
     * down (a transfer under way: {@link #handLeadershipBack}'s, or an operator's) refuses requests
     * without logging them, and Ratis's blocking client hands that refusal straight back instead of
     * retrying it as it retries a request to a follower. So it is asked again, of the leader this
     * region then knows, every {@code clientRetrySleep} for as long as the client's own retries
     * would last. A write asked twice is still applied once: its entry carries its request ids.
     */
    private <T> T throughHandoffs(LeaderCall<T> call) throws IOException {
        long deadline = System.nanoTime() + timing.clientRetrySleep().toNanos() * Math.max(1, timing.clientRetries());
        while (true) {
            try {
                return call.call();
            } catch (LeaderSteppingDownException e) {
                if (closed || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                handoffRetries.incrementAndGet();
                try {
                    Thread.sleep(timing.clientRetrySleep().toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted waiting out a leadership handoff");
                }
            }
        }
    }

    private final java.util.concurrent.atomic.AtomicLong handoffRetries = new java.util.concurrent.atomic.AtomicLong();

    /** Requests asked again because their leader was handing its office on, since start. */
    public long handoffRetries() {
        return handoffRetries.get();
    }

    /** The group of one member each server leads once at start ({@link #warmUp}). */
    static final RaftGroupId WARM_UP = RaftGroupId.valueOf(UUID.nameUUIDFromBytes("meridian-leader-warm-up".getBytes(StandardCharsets.UTF_8)));

    /**
     * Runs the code a Raft leader runs, once, in a throwaway group whose only member is this server:
     * election, taking office, committing and applying requests. A region that has never led a
     * group pays for loading that code (hundreds of classes and lambdas) when it is first elected,
     * which for the control plane's group is right after its leader died, with a failover waiting:
     * 0.8 s between winning the control election and starting to lead, seen on the lab's loaded
     * machine. Nothing else uses the group; it is removed, with its storage, when done.
     */
    private void warmUp(RaftPeerId self, String address) {
        RaftGroup group = RaftGroup.valueOf(WARM_UP, RaftPeer.newBuilder().setId(self).setAddress(address).build());
        try {
            for (RaftGroupId id : server.getGroupIds()) {
                if (id.equals(WARM_UP)) {
                    removeWarmUp(self); // left by a process that stopped during its warm-up
                }
            }
            RaftClientReply added = server.groupManagement(org.apache.ratis.protocol.GroupManagementRequest.newAdd(
                    org.apache.ratis.protocol.ClientId.randomId(), self, 0, group));
            if (!added.isSuccess()) {
                log.debug("leader warm-up skipped: {}", added.getException());
                return;
            }
            try (RaftClient client = RaftClient.newBuilder().setParameters(clientParameters).setClientId(MeteredConsensus.clientId(server.getId().toString())).setRaftGroup(group).setProperties(clientProperties)
                    .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(100, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                    .build()) {
                for (int i = 0; i < 3 && !closed; i++) {
                    client.io().send(Message.valueOf("warm-up"));
                }
            }
            removeWarmUp(self);
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.debug("leader warm-up failed: {}", e.toString());
            }
        }
    }

    private void removeWarmUp(RaftPeerId self) throws IOException {
        server.groupManagement(org.apache.ratis.protocol.GroupManagementRequest.newRemove(
                org.apache.ratis.protocol.ClientId.randomId(), self, 0, WARM_UP, true, false));
    }

    @Override
    public void close() throws IOException {
        closed = true;
        rejoiners.forEach(Thread::interrupt);
        controlProposals.shutdownNow();
        proposers.shutdownNow();
        for (RaftClient c : clients.values()) {
            c.close();
        }
        server.close();
        if (metered != null) {
            metered.close();
        }
    }
}
