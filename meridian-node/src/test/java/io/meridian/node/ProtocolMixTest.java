package io.meridian.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.meridian.core.Protocol;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regions mix only while each speaks the other's protocol ({@link Protocol}): a node whose peer
 * says a protocol it does not speak refuses to start, naming both, and a running node answers a
 * probe from such a peer with 409 {@code incompatible-protocol}.
 */
class ProtocolMixTest {
    @TempDir
    Path dir;

    @Test
    void aNodeRefusesToJoinADeploymentWhosePeerSpeaksAProtocolItDoesNot() throws Exception {
        int[] p = FreePorts.take(4);
        MeridianConfig config = ConfigLoader.parse("t.yaml", FreePorts.twoRegions(p) + """
                keyspaces:
                  - {name: sessions, policy: multi-master}
                canary: {interval-ms: 0}
                """);
        // eu-west as a later build would answer: the same health check, a protocol this build does not speak.
        HttpServer later = HttpServer.create(new InetSocketAddress("127.0.0.1", p[2]), 0);
        later.createContext("/v1/health", exchange -> {
            exchange.getResponseHeaders().add("Meridian-Region", "eu-west");
            exchange.getResponseHeaders().add(Protocol.HEADER, String.valueOf(Protocol.CURRENT + 1));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        later.start();
        try {
            RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east"));
            assertThatThrownBy(east::start).isInstanceOf(NodeStartException.class)
                    .hasMessageContaining("region us-east cannot join this deployment")
                    .hasMessageContaining("region eu-west speaks protocol " + (Protocol.CURRENT + 1))
                    .hasMessageContaining("Upgrade this node");
            east.close();
        } finally {
            later.stop(0);
        }
        // With eu-west of this build, both start.
        try (RegionNode east = RegionNode.create(config, "us-east", dir.resolve("east2"));
             RegionNode west = RegionNode.create(config, "eu-west", dir.resolve("west"))) {
            TestNodes.startTogether(east, west);
            String base = "http://127.0.0.1:" + p[0];
            HttpResponse<String> ok = RegionNodeApiTest.sendTo(base, "GET", "/v1/health", null, "Meridian-Region", "eu-west",
                    Protocol.HEADER, String.valueOf(Protocol.CURRENT));
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue(Protocol.HEADER)).contains(String.valueOf(Protocol.CURRENT));
            HttpResponse<String> refused = RegionNodeApiTest.sendTo(base, "GET", "/v1/health", null, "Meridian-Region", "eu-west",
                    Protocol.HEADER, String.valueOf(Protocol.CURRENT + 1));
            RegionNodeApiTest.problem(refused, 409, "incompatible-protocol");
            assertThat(refused.body()).contains("region eu-west speaks protocol " + (Protocol.CURRENT + 1));
        }
    }
}
