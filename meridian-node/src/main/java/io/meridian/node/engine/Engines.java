package io.meridian.node.engine;

import io.meridian.core.Policy;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.node.NodeStartException;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.node.routing.Forwarder;
import io.meridian.replication.strong.ConsensusServer;
import io.meridian.storage.Store;
import io.meridian.storage.StrongStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The node's one switch over policies: which engine serves a keyspace. Adding a policy means its
 * record and rules in core ({@code KeyspaceRules.of}), its engine, and one case here.
 */
public final class Engines {
    private Engines() {
    }

    /**
     * What engines are built from; parts a deployment does not run are null (no replication
     * without asynchronous keyspaces, no consensus without strong ones or a control plane).
     */
    public record Context(String region, MeridianConfig config, Store store, ReplicationEngine replication, Forwarder forwarder,
                   FailoverAgent failover, ConsensusServer consensus, Map<String, StrongStore> strongStores) {
        /** Enough to tell whether each keyspace can be served, before anything starts. */
        static Context check(MeridianConfig config, String region) {
            return new Context(region, config, null, null, null, null, null, Map.of());
        }
    }

    /** @throws NodeStartException when this version cannot serve the keyspace's policy */
    public static KeyspaceEngine create(KeyspaceConfig keyspace, Context c) {
        return switch (keyspace.policy()) {
            case Policy.Local l -> new LocalEngine(c.region(), c.store());
            case Policy.Strong s -> new StrongEngine(c.region(), c.consensus(), c.strongStores());
            case Policy.Primary p -> replicated(c);
            case Policy.HomeRegion h -> replicated(c);
            case Policy.MultiMaster m -> replicated(c);
            case Policy.Crdt crdt -> new CrdtEngine(c.region(), crdt.type(), c.replication(), replicated(c));
            case Policy.EventLog e -> throw notImplemented(keyspace);
        };
    }

    /** Why this version cannot serve some keyspaces of the configuration, if it cannot. */
    public static List<String> refusals(MeridianConfig config, String region) {
        List<String> refused = new ArrayList<>();
        for (KeyspaceConfig k : config.keyspaces()) {
            try {
                create(k, Context.check(config, region));
            } catch (NodeStartException e) {
                refused.add(e.getMessage());
            }
        }
        return refused;
    }

    private static ReplicatedEngine replicated(Context c) {
        return new ReplicatedEngine(c.region(), c.config(), c.replication(), c.forwarder(), c.failover());
    }

    private static NodeStartException notImplemented(KeyspaceConfig keyspace) {
        return new NodeStartException("keyspace '" + keyspace.name() + "': policy '" + keyspace.policy().name()
                + "' is not implemented yet");
    }
}
