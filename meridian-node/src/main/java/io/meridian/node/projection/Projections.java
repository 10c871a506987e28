package io.meridian.node.projection;

import io.meridian.core.KeyspaceRules;
import io.meridian.core.Policy;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.events.MergeProjection;
import io.meridian.core.events.Projection;
import io.meridian.node.Plugins;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads the projections event-log keyspaces name: the built-in {@code merge}, or user classes. */
public final class Projections {
    private Projections() {
    }

    /** A projection to run: the keyspace it folds, its configuration and its function. */
    public record Loaded(String keyspace, Policy.ProjectionSpec spec, Projection projection) {
    }

    /**
     * @return every projection by name, in configuration order
     * @throws io.meridian.node.NodeStartException naming the keyspace, the projection and what is wrong with its class
     */
    public static Map<String, Loaded> load(MeridianConfig config) {
        Map<String, Loaded> loaded = new LinkedHashMap<>();
        for (KeyspaceConfig k : config.keyspaces()) {
            for (Policy.ProjectionSpec spec : KeyspaceRules.of(k.policy()).projections()) {
                Projection p = spec.className().equals(MergeProjection.NAME) ? new MergeProjection()
                        : Plugins.instantiate("keyspace '" + k.name() + "': projection " + spec.name() + " (" + spec.className() + ")",
                                spec.className(), Projection.class);
                loaded.put(spec.name(), new Loaded(k.name(), spec, p));
            }
        }
        return loaded;
    }
}
