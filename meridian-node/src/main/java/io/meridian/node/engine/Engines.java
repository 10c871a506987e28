package io.meridian.node.engine;

import io.meridian.core.Policy;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.node.routing.Forwarder;
import io.meridian.replication.strong.ConsensusServer;
import io.meridian.storage.Store;
import io.meridian.storage.StrongStore;
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
                   FailoverAgent failover, ConsensusServer consensus, Map<String, StrongStore> strongStores,
                   Map<String, io.meridian.node.projection.ProjectionRunner> projections) {
    }

    /** The engine serving {@code keyspace}. */
    public static KeyspaceEngine create(KeyspaceConfig keyspace, Context c) {
        return switch (keyspace.policy()) {
            case Policy.Local l -> new LocalEngine(c.region(), c.store());
            case Policy.Strong s -> new StrongEngine(c.region(), c.consensus(), c.strongStores());
            case Policy.Primary p -> replicated(c);
            case Policy.HomeRegion h -> replicated(c);
            case Policy.MultiMaster m -> replicated(c);
            case Policy.Crdt crdt -> new CrdtEngine(c.region(), crdt.type(), c.replication(), replicated(c));
            case Policy.EventLog e -> new EventLogEngine(c.region(), c.replication(), replicated(c), c.projections());
        };
    }

    private static ReplicatedEngine replicated(Context c) {
        return new ReplicatedEngine(c.region(), c.config(), c.replication(), c.forwarder(), c.failover());
    }
}
