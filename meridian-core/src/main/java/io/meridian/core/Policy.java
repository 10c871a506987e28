package io.meridian.core;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a keyspace replicates and who may write it (DESIGN.md section 2). One record per policy;
 * code that treats policies differently switches over them exhaustively.
 */
public sealed interface Policy {

    /** The policy's name in configuration files and in the API. */
    String name();

    /** The policy's options as the API shows them (names as in configuration, snake_case), in a stable order. */
    default Map<String, Object> options() {
        return Map.of();
    }

    /** Data stays in the region where it was written; nothing replicates. */
    record Local() implements Policy {
        public String name() {
            return "local";
        }
    }

    /** Synchronous replication through a Raft group; any region writes through the leader. */
    record Strong(SyncMode sync, List<String> leaderPreference) implements Policy {
        public Strong {
            leaderPreference = List.copyOf(leaderPreference);
        }

        public String name() {
            return "strong";
        }

        @Override
        public Map<String, Object> options() {
            Map<String, Object> options = new LinkedHashMap<>();
            options.put("sync", sync.configName());
            options.put("leader_preference", leaderPreference);
            return options;
        }
    }

    /** One region writes the whole keyspace; the others hold read replicas. */
    record Primary(String primaryRegion) implements Policy {
        public String name() {
            return "primary";
        }

        @Override
        public Map<String, Object> options() {
            return Map.of("primary", primaryRegion);
        }
    }

    /** Each key is written only in its home region and copied everywhere else. */
    record HomeRegion() implements Policy {
        public String name() {
            return "home-region";
        }
    }

    /** Every region writes; concurrent writes are resolved by {@code resolver}. */
    record MultiMaster(String resolver) implements Policy {
        public static final String LWW = "lww";

        public String name() {
            return "multi-master";
        }

        @Override
        public Map<String, Object> options() {
            return Map.of("resolver", resolver);
        }
    }

    /** Every region writes; replicas merge as the named conflict-free replicated data type. */
    record Crdt(io.meridian.core.crdt.CrdtType type) implements Policy {
        public String name() {
            return "crdt";
        }

        @Override
        public Map<String, Object> options() {
            return Map.of("type", type.name());
        }
    }

    /**
     * Streams of events appended in the stream's home region and replayed everywhere.
     *
     * @param projections the read models every region folds the keyspace's events into
     */
    record EventLog(List<ProjectionSpec> projections) implements Policy {
        public EventLog {
            projections = List.copyOf(projections);
        }

        public EventLog() {
            this(List.of());
        }

        public String name() {
            return "event-log";
        }

        @Override
        public Map<String, Object> options() {
            return projections.isEmpty() ? Map.of() : Map.of("projections", projections.stream()
                    .map(p -> Map.of("name", p.name(), "class", p.className())).toList());
        }
    }

    /** A projection of an event-log keyspace: its name (unique in the deployment) and its class, or {@code merge}. */
    record ProjectionSpec(String name, String className) {
    }

    enum SyncMode {
        QUORUM, ALL;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Policy names as written in configuration, in the order DESIGN.md lists them. */
    List<String> NAMES = List.of("local", "strong", "primary", "home-region", "multi-master", "crdt", "event-log");
}
