package io.meridian.core.replication;

import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where each keyspace's data may live: the regions of its {@code residency}, for the keyspaces
 * that declare one (the others may live anywhere). Replication follows it: a region outside a
 * keyspace's residency is sent each of its writes {@linkplain Entry#withheld() withheld} (origin,
 * sequence and clock, no key or value), stores nothing else of it, and never counts as holding
 * it. Pure.
 */
public record Residency(Map<String, Set<String>> regions) {
    public static final Residency NONE = new Residency(Map.of());

    public Residency {
        regions = Map.copyOf(regions);
    }

    public static Residency of(MeridianConfig config) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (KeyspaceConfig k : config.keyspaces()) {
            if (!k.residency().isEmpty()) {
                out.put(k.name(), Set.copyOf(k.residency()));
            }
        }
        return new Residency(out);
    }

    /** True when {@code region} may hold {@code keyspace}'s keys and values. */
    public boolean mayHold(String keyspace, String region) {
        Set<String> allowed = regions.get(keyspace);
        return allowed == null || allowed.contains(region);
    }

    /** True when {@code region} is the only region that may hold {@code keyspace}: its writes have no copy elsewhere, by declaration. */
    public boolean onlyIn(String keyspace, String region) {
        Set<String> allowed = regions.get(keyspace);
        return allowed != null && allowed.equals(Set.of(region));
    }

    /** {@code e} as {@code target} may receive it: whole, or withheld when its keyspace may not live there. */
    public Entry forTarget(Entry e, String target) {
        return e.isWithheld() || mayHold(e.keyspace(), target) ? e : e.withheld();
    }
}
