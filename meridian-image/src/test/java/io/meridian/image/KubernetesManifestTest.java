package io.meridian.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.HostPort;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.config.RegionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/kubernetes/meridian.yaml holds together: its configuration is one a node accepts, and
 * every region's StatefulSet, Service, probes, ports, mounts and user agree with that
 * configuration, with the image and with each other. (No cluster runs here: what Kubernetes
 * itself would do with the objects is not tested.)
 */
class KubernetesManifestTest {
    private static final Path MANIFEST = Path.of("..", "deploy", "kubernetes", "meridian.yaml");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, JsonNode> objects = new HashMap<>();
    private static MeridianConfig config;

    @BeforeAll
    static void read() throws Exception {
        try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.readString(MANIFEST))) {
            while (docs.hasNext()) {
                JsonNode o = docs.next();
                if (o == null || o.isMissingNode() || o.isEmpty()) {
                    continue;
                }
                assertThat(o.path("metadata").path("namespace").asText()).as(o.path("metadata").path("name").asText()).isEqualTo("meridian");
                assertThat(objects.put(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText(), o)).isNull();
            }
        }
        config = ConfigLoader.parse("meridian.yaml", get("ConfigMap/meridian-config").path("data").path("meridian.yaml").asText());
    }

    private static JsonNode get(String kindAndName) {
        assertThat(objects).as("the manifest's objects").containsKey(kindAndName);
        return objects.get(kindAndName);
    }

    @Test
    void everyRegionHasAStatefulSetThatRunsItWhereItsConfigurationSays() {
        assertThat(config.regions()).hasSize(3);
        for (RegionConfig region : config.regions()) {
            String name = "meridian-" + region.name();
            JsonNode sts = get("StatefulSet/" + name);
            JsonNode service = get("Service/" + name);
            JsonNode pod = sts.path("spec").path("template");
            JsonNode container = pod.path("spec").path("containers").get(0);

            assertThat(sts.path("spec").path("replicas").asInt()).isEqualTo(1);
            assertThat(sts.path("spec").path("serviceName").asText()).isEqualTo(name);
            assertThat(sts.path("spec").path("selector").path("matchLabels")).isEqualTo(pod.path("metadata").path("labels"));
            assertThat(pod.path("spec").path("nodeSelector").path("topology.kubernetes.io/region").asText()).isEqualTo(region.name());

            // the pod's stable name, which the node binds and its peers dial
            String stableName = name + "-0." + name + ".meridian.svc.cluster.local";
            List<HostPort> addresses = new ArrayList<>(List.of(region.http()));
            region.replication().ifPresent(addresses::add);
            region.consensus().ifPresent(addresses::add);
            assertThat(addresses).extracting(HostPort::host).containsOnly(stableName);
            assertThat(service.path("spec").path("clusterIP").asText()).isEqualTo("None");
            assertThat(service.path("spec").path("publishNotReadyAddresses").asBoolean()).isTrue();
            assertThat(service.path("spec").path("selector")).isEqualTo(pod.path("metadata").path("labels"));
            Map<String, Integer> configured = Map.of("http", region.http().port(), "replication", region.replication().orElseThrow().port(),
                    "consensus", region.consensus().orElseThrow().port());
            assertThat(ports(container.path("ports"), "containerPort")).isEqualTo(configured);
            assertThat(ports(service.path("spec").path("ports"), "port")).isEqualTo(configured);

            List<String> args = new ArrayList<>();
            container.path("args").forEach(a -> args.add(a.asText()));
            assertThat(args).startsWith("node").containsSubsequence("--region", region.name());
            String configFile = args.get(args.indexOf("--config") + 1);
            String dataDir = args.get(args.indexOf("--data-dir") + 1);
            Map<String, String> mounts = new HashMap<>();
            container.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), m.path("name").asText()));
            assertThat(mounts).containsEntry(configFile, "config").containsEntry(config.tls().orElseThrow().dir().toString(), "certs");
            assertThat(mounts.entrySet()).anySatisfy(m -> {
                assertThat(m.getValue()).isEqualTo("data");
                assertThat(dataDir).startsWith(m.getKey() + "/");
            });
            assertThat(sts.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText()).isEqualTo("data");

            // the region's own certificate and the CA, nobody else's key
            List<String> certs = new ArrayList<>();
            pod.path("spec").path("volumes").forEach(v -> v.path("secret").path("items").forEach(i -> certs.add(i.path("path").asText())));
            assertThat(certs).containsExactlyInAnyOrder("ca.crt", region.name() + ".crt", region.name() + ".key");

            JsonNode ready = container.path("readinessProbe").path("httpGet");
            assertThat(ready.path("path").asText()).isEqualTo("/v1/health/ready");
            assertThat(ready.path("port").asText()).isEqualTo("http");
            assertThat(ready.path("scheme").asText()).isEqualTo(config.tls().isPresent() ? "HTTPS" : "HTTP");
            assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/v1/health");
            assertThat(pod.path("spec").path("terminationGracePeriodSeconds").asInt()).as("room for the drain").isGreaterThanOrEqualTo(10);
            assertThat(container.path("image").asText()).startsWith("meridian:");
            assertThat(pod.path("spec").path("securityContext").path("runAsUser").asInt()).isEqualTo(65532);
            assertThat(pod.path("spec").path("securityContext").path("fsGroup").asInt()).isEqualTo(65532);
        }
    }

    @Test
    void theImageRunsAsTheUserThePodsDo() throws Exception {
        assertThat(Files.readString(Path.of("pom.xml"))).contains("<user>65532:65532</user>");
    }

    @Test
    void aVoluntaryDisruptionTakesOneRegionAtATime() {
        JsonNode pdb = get("PodDisruptionBudget/meridian");
        assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
        JsonNode selector = pdb.path("spec").path("selector").path("matchLabels");
        for (RegionConfig region : config.regions()) {
            JsonNode labels = get("StatefulSet/meridian-" + region.name()).path("spec").path("template").path("metadata").path("labels");
            selector.fields().forEachRemaining(l -> assertThat(labels.path(l.getKey()).asText()).isEqualTo(l.getValue().asText()));
        }
    }

    private static Map<String, Integer> ports(JsonNode list, String field) {
        Map<String, Integer> ports = new HashMap<>();
        list.forEach(p -> ports.put(p.path("name").asText(), p.path(field).asInt()));
        return ports;
    }
}
