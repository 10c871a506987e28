package io.meridian.node.replication;

import io.meridian.core.Policy;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.ConflictResolver;
import io.meridian.node.NodeStartException;
import java.lang.reflect.InvocationTargetException;
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
        String where = "keyspace '" + k.name() + "': resolver " + className;
        try {
            Class<?> type = Class.forName(className);
            if (!ConflictResolver.class.isAssignableFrom(type)) {
                throw new NodeStartException(where + " does not implement " + ConflictResolver.class.getName());
            }
            return (ConflictResolver) type.getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new NodeStartException(where + " is not on the class path (add its jar to the node's class path)");
        } catch (NoSuchMethodException | IllegalAccessException | InstantiationException e) {
            throw new NodeStartException(where + " needs a public no-argument constructor (" + e + ")");
        } catch (InvocationTargetException e) {
            throw new NodeStartException(where + " failed to construct: " + e.getCause());
        }
    }
}
