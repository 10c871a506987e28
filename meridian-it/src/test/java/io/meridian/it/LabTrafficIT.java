package io.meridian.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.cli.Main;
import io.meridian.lab.Drill;
import io.meridian.lab.Lab;
import io.meridian.lab.LabTopology;
import io.meridian.lab.Launcher;
import io.meridian.lab.UsersLoad;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The lab with its traffic layer ({@code lab up --tls --traffic}: gateways and edges serve HTTPS and
 * forward over it) on real processes: the DNS answers
 * with the gateways, the demo shop serves pages through each gateway and static files through
 * each edge, simulated users of every region see no errors; the region-outage drill with users
 * kills a region whole (node and traffic layer): its users see errors only until the DNS's answer
 * expires and then another region serves them, the others none, and the drill reports that window
 * beside its data accounting; revived, the region is in the DNS's answers again. (That the DNS
 * drops an unhealthy region and takes it back is also DnsServerTest's.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabTrafficIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    Lab lab;
    HttpClient http;

    @BeforeAll
    void up() {
        lab = new Lab(dir.resolve("lab"), Launcher.current(Main.class.getName()).quickStart(), System.out);
        lab.up(0, new LabTopology.Setup(0.2, 0, 0).withTls(true), Duration.ofSeconds(120), true);
        // Gateways and edges show their region's certificate: only the lab's CA makes them trusted.
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(lab.tls().orElseThrow()).build();
    }

    @AfterAll
    void down() throws Exception {
        LabFixture.down(lab, null, dir);
    }

    private HttpResponse<String> send(String url, String method) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void usersAreServedInTheirRegion() throws Exception {
        Lab.Status status = lab.status();
        assertThat(status.serviceName()).isEqualTo("shop.meridian.test");
        assertThat(status.dns()).startsWith("127.0.0.1:");
        assertThat(status.regions()).allSatisfy(r -> {
            assertThat(r.gateway()).startsWith("https://127.0.0.1:");
            assertThat(r.edge()).startsWith("https://127.0.0.1:");
        });

        // The DNS, asked as the lab's status says: every gateway, as SRV records.
        SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
        resolver.setPort(Integer.parseInt(status.dns().split(":")[1]));
        assertThat(srvPorts(resolver)).containsExactlyInAnyOrderElementsOf(status.regions().stream()
                .map(r -> URI.create(r.gateway()).getPort()).toList());

        // Pages through each gateway, static files through each edge, a purge confirmed by all.
        for (Lab.RegionStatus r : status.regions()) {
            HttpResponse<String> page = send(r.gateway() + "/product/p-3", "GET");
            assertThat(page.statusCode()).isEqualTo(200);
            JsonNode doc = JSON.readTree(page.body());
            assertThat(doc.path("served_by").asText()).isEqualTo(r.name());
            assertThat(doc.path("found").asBoolean()).as("the lab seeds the catalog").isTrue();
            send(r.edge() + "/static/app.js", "GET");
            HttpResponse<String> asset = send(r.edge() + "/static/app.js", "GET");
            assertThat(asset.statusCode()).isEqualTo(200);
            assertThat(asset.headers().firstValue("X-Cache")).hasValue("HIT");
        }
        HttpResponse<String> cart = send(status.regions().getFirst().gateway() + "/cart/u-1?item=p-2", "POST");
        assertThat(cart.statusCode()).isEqualTo(200);
        HttpResponse<String> purge = http.send(HttpRequest.newBuilder(URI.create(status.regions().getFirst().edge() + "/meridian/edge/purge"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"paths\": [\"/static/*\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(purge.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(purge.body()).path("all_confirmed").asBoolean()).isTrue();

        // Users everywhere: no errors, each region served by its own.
        UsersLoad.Report calm = lab.users().run(3, Duration.ofSeconds(4), System.out::println);
        System.out.println("users, all regions up: " + Lab.toJson(calm));
        for (UsersLoad.RegionReport r : calm.regions()) {
            assertThat(r.errors()).as(r.region() + " errors " + r.errorKinds()).isZero();
            assertThat(r.servedBy().keySet()).as(r.region()).contains(r.region());
        }

        // Losing a region whole is the drill's (below): one kill and revival serves both tests.
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void theRegionOutageDrillWithUsersReportsHowLongTheLostRegionsUsersSawErrors() throws Exception {
        // Writers pause 100 ms between writes (the drill's default is 25): the accounting is the same, and the
        // revived region starts on a machine that is not saturated by the drill itself.
        Map<String, Object> report = new Drill(lab, System.out, 100).withUsers(3).run(Drill.Kind.REGION_OUTAGE, "ap-southeast",
                Duration.ofSeconds(60));
        System.out.println("drill with users: " + Lab.toJson(report));
        Map<String, Object> users = (Map<String, Object>) report.get("users");
        assertThat(users).as("the drill ran users").isNotNull();
        for (String region : List.of("us-east", "eu-west")) {
            Map<String, Object> seen = (Map<String, Object>) users.get(region);
            assertThat(((Number) seen.get("visits")).longValue()).as(region + " visits").isPositive();
            assertThat(((Number) seen.get("errors")).longValue()).as(region + " errors " + seen.get("error_kinds")).isZero();
        }
        Map<String, Object> lost = (Map<String, Object>) users.get("ap-southeast");
        assertThat(((Number) lost.get("errors")).longValue()).as("the killed region's users saw errors").isPositive();
        assertThat(((Map<String, Object>) lost.get("served_by")).keySet()).as("the killed region's users moved to another region")
                .containsAnyOf("us-east", "eu-west");
        // A cached DNS answer lives 10 s (the lab's TTL), the DNS drops the region within about a second of the
        // control plane suspecting it, and the revived region serves its users again: either ends them well within 25 s.
        assertThat(((Number) lost.get("errors_until_s_after_fault")).doubleValue()).as("errors end after the DNS TTL")
                .isLessThan(25.0);
        Map<String, Object> policies = (Map<String, Object>) report.get("policies");
        assertThat(policies).isNotEmpty();
        policies.forEach((policy, figures) -> assertThat(((Number) ((Map<String, Object>) figures).get("unaccounted")).longValue())
                .as(policy + " unaccounted writes").isZero());

        // Revived, the region's traffic layer came back with it, and the DNS names it again.
        Lab.Status status = lab.status();
        SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
        resolver.setPort(Integer.parseInt(status.dns().split(":")[1]));
        String gateway = status.regions().stream().filter(r -> r.name().equals("ap-southeast")).findFirst().orElseThrow().gateway();
        assertThat(send(gateway + "/meridian/gateway/health", "GET").statusCode()).isEqualTo(200);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(srvPorts(resolver)).contains(URI.create(gateway).getPort()));
    }

    private static List<Integer> srvPorts(SimpleResolver resolver) throws Exception {
        Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("_https._tcp.shop.meridian.test."), Type.SRV,
                DClass.IN)));
        return answer.getSection(Section.ANSWER).stream().map(r -> ((SRVRecord) r).getPort()).toList();
    }
}
