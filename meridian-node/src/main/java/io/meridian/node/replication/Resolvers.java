package io.meridian.node.replication;

import io.meridian.core.Policy;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.ConflictResolver;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads the conflict resolvers named by multi-master keyspaces ({@code resolver: com.example.MyResolver}). */
public final class Resolvers {
    private Resolvers() {
    }

    /**
     * @return each multi-master keyspace's resolver
     * @throws NodeStartException naming the keyspace, the class and what is wrong with it
     */
    public static Map<String, ConflictResolver> load(MeridianConfig config) {
        Map<String, ConflictResolver> resolvers = new LinkedHashMap<>();
        for (KeyspaceConfig k : config.keyspaces()) {
            io.meridian.core.KeyspaceRules.of(k.policy()).resolver().ifPresent(resolver -> resolvers.put(k.name(),
                    resolver.equals(Policy.MultiMaster.LWW) ? ConflictResolver.LWW : instantiate(k, resolver)));
        }
        return resolvers;
    }

    private static ConflictResolver instantiate(KeyspaceConfig k, String className) {
        return io.meridian.node.Plugins.instantiate("keyspace '" + k.name() + "': resolver " + className, className,
                ConflictResolver.class);
    }
}
