package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.Preconditions;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.replication.Entry;
import io.meridian.core.replication.Replica;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.storage.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "answered" mark a region keeps for its own writes no peer holds yet: kept where a failover
 * can revert a write as lost (one writer per key), and only there, since nothing else reads it.
 */
class AnswerMarksTest {
    @TempDir
    Path dir;

    @Test
    void answersAreRememberedOnlyWhereAFailoverCanRevertTheWrite() {
        MeridianConfig config = ConfigLoader.parse("test.yaml", """
                regions:
                  - {name: us-east, http: 127.0.0.1:0, replication: 127.0.0.1:1}
                  - {name: eu-west, http: 127.0.0.1:0, replication: 127.0.0.1:2}
                keyspaces:
                  - {name: profiles, policy: home-region}
                  - {name: catalog, policy: primary, primary: us-east}
                  - {name: sessions, policy: multi-master}
                  - {name: likes, policy: crdt, type: counter}
                """);
        try (Store store = Store.open(dir, Set.of("profiles", "catalog", "sessions", "likes"), System::currentTimeMillis);
             ThreadScheduler scheduler = new ThreadScheduler("test-scheduler")) {
            ReplicationEngine engine = new ReplicationEngine("us-east", config, store, null, SystemClock.INSTANCE, scheduler);
            for (String keyspace : new String[] {"profiles", "catalog", "sessions", "likes"}) {
                Entry e = engine.write(Replica.Write.put(keyspace, "k", "v".getBytes(StandardCharsets.UTF_8), "text/plain",
                        "profiles".equals(keyspace) ? "us-east" : ""), Preconditions.NONE).entry();
                engine.answered(e);
                assertThat(engine.store().answered(e.seq())).as(keyspace)
                        .isEqualTo(keyspace.equals("profiles") || keyspace.equals("catalog"));
            }
        }
    }
}
