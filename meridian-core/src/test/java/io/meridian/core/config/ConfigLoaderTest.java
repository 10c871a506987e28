package io.meridian.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meridian.core.Policy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private static final String REGIONS = """
            regions:
              - name: us-east
                location: N. Virginia
                http: 127.0.0.1:7001
                replication: 127.0.0.1:7051
                consensus: 127.0.0.1:7061
              - name: eu-west
                http: 127.0.0.1:7002
                replication: 127.0.0.1:7052
                consensus: 127.0.0.1:7062
            """;

    private static MeridianConfig parse(String yaml) {
        return ConfigLoader.parse("test.yaml", yaml);
    }

    private static List<String> errors(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected configuration errors in:\n" + yaml);
    }

    @Test
    void anRpoBudgetParsesForAsynchronousKeyspacesAndIsRefusedWhereItCannotHold() {
        MeridianConfig config = parse(REGIONS + """
                keyspaces:
                  - {name: catalog, policy: primary, primary: us-east, rpo-budget: 250ms}
                  - {name: carts, policy: crdt, type: "map<counter>", rpo-budget: 0, on-budget-exceeded: refuse}
                  - {name: orders, policy: event-log, rpo-budget: 2s, on-budget-exceeded: wait}
                  - {name: profiles, policy: home-region}
                """);
        assertThat(config.keyspace("catalog").orElseThrow().rpoBudget())
                .contains(new RpoBudget(Duration.ofMillis(250), RpoBudget.OnExceeded.WAIT));
        assertThat(config.keyspace("carts").orElseThrow().rpoBudget())
                .contains(new RpoBudget(Duration.ZERO, RpoBudget.OnExceeded.REFUSE));
        assertThat(config.keyspace("orders").orElseThrow().rpoBudget())
                .contains(new RpoBudget(Duration.ofSeconds(2), RpoBudget.OnExceeded.WAIT));
        assertThat(config.keyspace("profiles").orElseThrow().rpoBudget()).isEmpty();
        MeridianConfig auto = parse(REGIONS + """
                keyspaces:
                  - {name: profiles, policy: home-region, failover-order: auto}
                """);
        assertThat(auto.keyspace("profiles").orElseThrow().autoFailoverOrder()).isTrue();
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: profiles, policy: home-region, failover-order: nearest}
                """)).anySatisfy(e -> assertThat(e).contains("keyspaces[0].failover-order"));
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: a, policy: strong, rpo-budget: 250ms}
                  - {name: b, policy: local, rpo-budget: 250ms}
                  - {name: c, policy: home-region, rpo-budget: 250}
                  - {name: d, policy: home-region, rpo-budget: -1s}
                  - {name: e, policy: home-region, on-budget-exceeded: refuse}
                  - {name: f, policy: home-region, rpo-budget: 1s, on-budget-exceeded: drop}
                  - {name: g, policy: home-region, rpo-budget: 1s, residency: [eu-west]}
                  - {name: h, policy: home-region, rpo-budget: 2h}
                """)).anySatisfy(e -> assertThat(e).contains("keyspaces[0].rpo-budget").contains("not to strong")
                        .contains("majority"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[1].rpo-budget").contains("never replicated"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[2].rpo-budget").contains("'250' is not a budget"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[3].rpo-budget").contains("'-1s' is not a budget"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[4].on-budget-exceeded").contains("needs an rpo-budget"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[5].on-budget-exceeded").contains("'drop' is not one of wait, refuse"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[6].rpo-budget").contains("only eu-west"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[7].rpo-budget").contains("'2h' is not a budget"));
    }

    @Test
    void canariesRunByDefaultWhereDataReplicatesAndTheirKeyspaceIsFoundButNotListed() {
        MeridianConfig config = parse(REGIONS + """
                keyspaces: [{name: sessions, policy: multi-master}]
                """);
        assertThat(config.canaries().interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.canaryKeyspace()).map(KeyspaceConfig::name).contains("_canary");
        assertThat(config.keyspace("_canary")).isEqualTo(config.canaryKeyspace());
        assertThat(config.keyspaces()).extracting(KeyspaceConfig::name).containsExactly("sessions");

        assertThat(parse(REGIONS + "keyspaces: [{name: cache, policy: local}]\n").canaryKeyspace())
                .as("nothing replicates asynchronously").isEmpty();
        assertThat(parse(REGIONS + "keyspaces: [{name: accounts, policy: strong}]\n").keyspace("_canary"))
                .as("strong keyspaces are not probed by canaries").isEmpty();
        MeridianConfig off = parse(REGIONS + """
                keyspaces: [{name: sessions, policy: multi-master}]
                canary: {interval-ms: 0}
                """);
        assertThat(off.canaries().enabled()).isFalse();
        assertThat(off.keyspace("_canary")).isEmpty();
        assertThat(parse(REGIONS + """
                keyspaces: [{name: sessions, policy: multi-master}]
                canary: {interval-ms: 250}
                """).canaries().interval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void costPricesTheMostSpecificMatchAndRefusesBadPrices() {
        CostConfig none = parse(REGIONS + "keyspaces: [{name: cache, policy: local}]\n").cost();
        assertThat(none).isEqualTo(CostConfig.DEFAULT);
        assertThat(none.perGb("us-east", "eu-west")).isEqualTo(0.02);
        CostConfig priced = parse(REGIONS + """
                keyspaces: [{name: cache, policy: local}]
                cost:
                  currency: EUR
                  default-per-gb: 0.05
                  prices:
                    - {from: eu-west, per-gb: 0.03}
                    - {from: eu-west, to: us-east, per-gb: 0.01}
                """).cost();
        assertThat(priced.currency()).isEqualTo("EUR");
        assertThat(priced.perGb("eu-west", "us-east")).isEqualTo(0.01);
        assertThat(priced.perGb("us-east", "eu-west")).isEqualTo(0.05);
        assertThat(errors(REGIONS + """
                keyspaces: [{name: cache, policy: local}]
                cost:
                  prices:
                    - {from: eu-wset, per-gb: 0.03}
                    - {from: us-east, per-gb: -1}
                    - {from: us-east, to: us-east, per-gb: 1}
                    - {from: eu-west}
                    - {from: eu-west, per-gb: 0.02}
                    - {from: eu-west, per-gb: 0.04}
                  default-per-gb: lots
                """)).anyMatch(e -> e.contains("cost.prices[0].from") && e.contains("eu-wset") && e.contains("eu-west"))
                .anyMatch(e -> e.contains("cost.prices[1].per-gb") && e.contains("'-1'"))
                .anyMatch(e -> e.contains("cost.prices[2].to") && e.contains("no price"))
                .anyMatch(e -> e.contains("cost.prices[3]") && e.contains("expected per-gb"))
                .anyMatch(e -> e.contains("cost.prices[5].from") && e.contains("listed twice"))
                .anyMatch(e -> e.contains("cost.default-per-gb") && e.contains("'lots'"));
    }

    @Test
    void tracingIsOffUnlessAnOtlpEndpointIsGivenAndABadOneIsRefused() {
        assertThat(parse(REGIONS + "keyspaces: [{name: cache, policy: local}]\n").tracing().enabled()).isFalse();
        MeridianConfig traced = parse(REGIONS + """
                keyspaces: [{name: cache, policy: local}]
                tracing: {otlp-endpoint: "http://127.0.0.1:4318/v1/traces", sample-ratio: 0.25}
                """);
        assertThat(traced.tracing().otlpEndpoint()).contains(java.net.URI.create("http://127.0.0.1:4318/v1/traces"));
        assertThat(traced.tracing().sampleRatio()).isEqualTo(0.25);
        assertThat(errors(REGIONS + """
                keyspaces: [{name: cache, policy: local}]
                tracing: {otlp-endpoint: "collector:4318", sample-ratio: 2}
                """)).anyMatch(e -> e.contains("tracing.otlp-endpoint") && e.contains("'collector:4318'"))
                .anyMatch(e -> e.contains("sample-ratio"));
    }

    @Test
    void aCanaryIntervalTooShortOrAKeyspaceNamedLikeOneIsRefused() {
        assertThat(errors(REGIONS + """
                keyspaces: [{name: sessions, policy: multi-master}]
                canary: {interval-ms: 10, every: 1s}
                """)).anyMatch(e -> e.contains("canary.interval-ms") && e.contains("at least 100"))
                .anyMatch(e -> e.contains("every"));
        assertThat(errors(REGIONS + """
                keyspaces: [{name: _canary, policy: multi-master}]
                """)).anyMatch(e -> e.contains("starting with a letter"));
    }

    @Test
    void anEventLogNamesItsProjectionsAndBadOnesAreRefusedWithTheirPlace() {
        MeridianConfig config = parse(REGIONS + """
                keyspaces:
                  - name: orders
                    policy: event-log
                    failover-order: [eu-west, us-east]
                    projections:
                      - {name: order-status, type: merge}
                      - {name: totals, class: com.example.Totals}
                """);
        assertThat(config.keyspaces().getFirst().policy()).isEqualTo(new Policy.EventLog(List.of(
                new Policy.ProjectionSpec("order-status", "merge"), new Policy.ProjectionSpec("totals", "com.example.Totals"))));
        assertThat(errors(REGIONS + """
                keyspaces:
                  - name: orders
                    policy: event-log
                    projections:
                      - {name: a, type: merge, class: com.example.A}
                      - {name: b}
                      - {name: a, type: merge}
                      - {name: c, class: "not a class"}
                      - {name: d, type: sum}
                  - {name: other, policy: home-region, projections: [{name: e, type: merge}]}
                """)).anySatisfy(e -> assertThat(e).contains("keyspaces[0].projections[0]").contains("not both"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[0].projections[1]").contains("not neither"))
                .anySatisfy(e -> assertThat(e).contains("projection 'a' is defined twice"))
                .anySatisfy(e -> assertThat(e).contains("'not a class' is not a fully qualified class name"))
                .anySatisfy(e -> assertThat(e).contains("keyspaces[0].projections[4].type"))
                .anySatisfy(e -> assertThat(e).contains("'projections' applies to policy event-log, not to home-region"));
    }

    @Test
    void everyPolicyOfTheDesignParses() {
        MeridianConfig config = parse(REGIONS + """
                keyspaces:
                  - {name: cache, policy: local, max-value-bytes: 2048}
                  - {name: accounts, policy: strong, sync: all, leader-preference: [eu-west, us-east]}
                  - {name: catalog, policy: primary, primary: us-east}
                  - {name: profiles, policy: home-region, residency: [eu-west]}
                  - {name: sessions, policy: multi-master}
                  - {name: carts, policy: multi-master, resolver: com.example.CartResolver}
                  - {name: likes, policy: crdt, type: "map<counter>"}
                  - {name: audit, policy: event-log}
                probe: {interval-ms: 500, timeout-ms: 1500}
                """);
        assertThat(config.keyspaces()).extracting(KeyspaceConfig::policy).containsExactly(
                new Policy.Local(),
                new Policy.Strong(Policy.SyncMode.ALL, List.of("eu-west", "us-east")),
                new Policy.Primary("us-east"),
                new Policy.HomeRegion(),
                new Policy.MultiMaster("lww"),
                new Policy.MultiMaster("com.example.CartResolver"),
                new Policy.Crdt(new io.meridian.core.crdt.CrdtType.Map(new io.meridian.core.crdt.CrdtType.Counter())),
                new Policy.EventLog());
        assertThat(config.keyspace("cache").orElseThrow().maxValueBytes()).isEqualTo(2048);
        assertThat(config.keyspace("accounts").orElseThrow().maxValueBytes()).isEqualTo(MeridianConfig.DEFAULT_MAX_VALUE_BYTES);
        assertThat(config.keyspace("profiles").orElseThrow().residency()).containsExactly("eu-west");
        assertThat(config.region("us-east").orElseThrow().location()).isEqualTo("N. Virginia");
        assertThat(config.probe()).isEqualTo(new MeridianConfig.Probe(Duration.ofMillis(500), Duration.ofMillis(1500)));
    }

    @Test
    void aLinkRedirectsHowOneRegionDialsAnother() {
        MeridianConfig config = parse(REGIONS + """
                links:
                  - {from: us-east, to: eu-west, via: 127.0.0.1:7101}
                keyspaces: [{name: cache, policy: local}]
                """);
        assertThat(config.addressFor("us-east", "eu-west")).isEqualTo(new HostPort("127.0.0.1", 7101));
        assertThat(config.addressFor("eu-west", "us-east")).isEqualTo(new HostPort("127.0.0.1", 7001));
    }

    @Test
    void anUnknownPolicyNamesFileLineFieldAndTheChoices() {
        assertThat(errors(REGIONS + """
                keyspaces:
                  - name: cache
                    policy: stronk
                """)).containsExactly("test.yaml:13:13: keyspaces[0].policy: 'stronk' is not one of "
                + "local, strong, primary, home-region, multi-master, crdt, event-log; did you mean 'strong'?");
    }

    @Test
    void aMisspelledPolicySuggestsTheClosestOne() {
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: cache, policy: lcoal}
                  - {name: sessions, policy: multimaster}
                  - {name: carts, policy: Multi_Master}
                  - {name: other, policy: quorum}
                """)).satisfiesExactly(
                e -> assertThat(e).endsWith("'lcoal' is not one of local, strong, primary, home-region, multi-master, crdt,"
                        + " event-log; did you mean 'local'?"),
                e -> assertThat(e).endsWith("; did you mean 'multi-master'?"),
                e -> assertThat(e).endsWith("; did you mean 'multi-master'?"),
                e -> assertThat(e).endsWith("crdt, event-log"));
    }

    @Test
    void aTabInTheIndentationIsReportedWhereItIs() {
        assertThat(errors(REGIONS + "keyspaces:\n  - name: cache\n\tpolicy: local\n"))
                .containsExactly("test.yaml:13:1: not valid YAML: a tab in the indentation; YAML indents with spaces only");
    }

    @Test
    void aYamlSyntaxErrorIsExplainedInPlainWords() {
        assertThat(errors(REGIONS + "keyspaces:\n  - name: cache\n     policy: local\n")).containsExactly(
                "test.yaml:13:12: not valid YAML: a ':' where no key can start (is a value missing its quotes, or the line"
                        + " indented too far?)");
    }

    @Test
    void aMisspelledFieldIsRefusedWithASuggestion() {
        assertThat(errors(REGIONS + """
                keyspaces:
                  - name: cache
                    policy: local
                    max-value-byte: 10
                """)).containsExactly("test.yaml:14:5: keyspaces[0].max-value-byte: unknown field; did you mean 'max-value-bytes'?");
    }

    @Test
    void aReferenceToAnUndefinedRegionListsTheDefinedOnes() {
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: catalog, policy: primary, primary: us-west}
                """)).singleElement().asString()
                .startsWith("test.yaml:12:")
                .contains("keyspaces[0].primary: region 'us-west' is not defined; defined regions: eu-west, us-east");
    }

    @Test
    void anOptionOfAnotherPolicyIsRefused() {
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: cache, policy: local, sync: all}
                """)).singleElement().asString().contains("'sync' applies to policy strong, not to local");
    }

    @Test
    void everyErrorIsReportedAtOnce() {
        List<String> errors = errors("""
                regions:
                  - name: US_East
                    http: localhost
                  - name: eu-west
                    http: 127.0.0.1:99999
                keyspaces:
                  - {name: a, policy: crdt}
                  - {name: a, policy: local}
                  - {name: b, policy: primary, primary: eu-west, residency: [us-east]}
                """);
        assertThat(errors).hasSize(7);
        assertThat(String.join("\n", errors))
                .contains("test.yaml:2:11: regions[0].name: 'US_East' is not a region name")
                .contains("test.yaml:3:11: regions[0].http: 'localhost' is not an address")
                .contains("regions[1].http: '127.0.0.1:99999' is not an address")
                .contains("keyspaces[0].type: missing")
                .contains("keyspace 'a' is defined twice")
                .contains("region 'us-east' is not defined; no valid region is defined");
    }

    @Test
    void outsideResidencyRefusesUnlessItSaysRedirect() {
        MeridianConfig config = parse(REGIONS + """
                keyspaces:
                  - {name: a, policy: home-region, residency: [eu-west]}
                  - {name: b, policy: home-region, residency: [eu-west], outside-residency: refuse}
                  - {name: c, policy: home-region, residency: [eu-west], outside-residency: redirect}
                """);
        assertThat(config.keyspaces()).extracting(KeyspaceConfig::redirectOutsideResidency).containsExactly(false, false, true);
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: a, policy: home-region, outside-residency: redirect}
                  - {name: b, policy: home-region, residency: [eu-west], outside-residency: proxy}
                """)).hasSize(2).anySatisfy(e -> assertThat(e).contains("keyspaces[0].outside-residency").contains("has no residency"))
                .anySatisfy(e -> assertThat(e).contains("'proxy' is not one of refuse, redirect"));
    }

    @Test
    void tlsNamesTheCertificatesDirectory() {
        String keyspaces = """
                keyspaces:
                  - {name: a, policy: multi-master}
                """;
        assertThat(parse(REGIONS + keyspaces).tls()).isEmpty();
        assertThat(parse(REGIONS + keyspaces + "tls: {dir: certs}\n").tls())
                .contains(new MeridianConfig.Tls(java.nio.file.Path.of("certs")));
        assertThat(parse(REGIONS + keyspaces + "tls: {dir: certs}\n").url(new HostPort("10.0.0.1", 7001))).isEqualTo("https://10.0.0.1:7001");
        assertThat(parse(REGIONS + keyspaces).url(new HostPort("10.0.0.1", 7001))).isEqualTo("http://10.0.0.1:7001");
        assertThat(errors(REGIONS + keyspaces + "tls: {}\n")).singleElement().asString().contains("tls.dir").contains("required");
        assertThat(errors(REGIONS + keyspaces + "tls: {dir: certs, ca: x}\n")).singleElement().asString().contains("tls.ca");
    }

    @Test
    void tokensNeedTlsAndTheControlPlane() {
        String keyspaces = """
                keyspaces:
                  - {name: a, policy: multi-master}
                """;
        assertThat(parse(REGIONS + keyspaces).auth()).isEqualTo(MeridianConfig.Auth.OFF);
        MeridianConfig on = parse(REGIONS + keyspaces + "tls: {dir: certs}\nauth: {tokens: required, admins: [ops, ci-bot]}\n");
        assertThat(on.auth()).isEqualTo(new MeridianConfig.Auth(true, List.of("ops", "ci-bot")));
        assertThat(on.resolvedAgainst(java.nio.file.Path.of("/etc/meridian")).auth()).isEqualTo(on.auth());
        assertThat(errors(REGIONS + keyspaces + "auth: {tokens: required}\n")).singleElement().asString()
                .contains("auth.tokens").contains("tokens need TLS");
        assertThat(errors(REGIONS + keyspaces + "auth: {admins: [ops]}\n")).singleElement().asString()
                .contains("auth.admins").contains("client certificates");
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: a, policy: local}
                tls: {dir: certs}
                auth: {tokens: required}
                """)).singleElement().asString().contains("tokens live in the control plane");
        assertThat(errors(REGIONS + keyspaces + "tls: {dir: certs}\nauth: {tokens: always, admins: [Ops, ops, ops], who: x}\n"))
                .anySatisfy(e -> assertThat(e).contains("'always' is not one of required, off"))
                .anySatisfy(e -> assertThat(e).contains("auth.admins").contains("found 'Ops'"))
                .anySatisfy(e -> assertThat(e).contains("'ops' is listed twice"))
                .anySatisfy(e -> assertThat(e).contains("auth.who"));
        assertThat(errors(REGIONS + keyspaces + "auth: required\n")).singleElement().asString().contains("expected a mapping");
    }

    @Test
    void aPrimaryOutsideTheResidencyIsRefused() {
        assertThat(errors(REGIONS + """
                keyspaces:
                  - {name: b, policy: primary, primary: eu-west, residency: [us-east]}
                """)).singleElement().asString().contains("primary region 'eu-west' is outside the keyspace's residency [us-east]");
    }

    @Test
    void duplicateKeysAndSyntaxErrorsNameTheLine() {
        assertThat(errors("regions: []\nregions: []\n")).singleElement().asString()
                .startsWith("test.yaml:2:1: not valid YAML: duplicate key 'regions'");
        assertThat(errors("regions: [\n  - name: x\n")).singleElement().asString().startsWith("test.yaml:");
        assertThat(errors("")).singleElement().asString().contains("the file is empty");
        assertThat(errors("- a\n- b\n")).singleElement().asString().contains("expected a mapping");
    }

    @Test
    void regionsAndKeyspacesAreRequiredAndTypesAreChecked() {
        assertThat(errors("regions: []\n")).anySatisfy(e -> assertThat(e).contains("keyspaces: missing"));
        assertThat(errors(REGIONS + "keyspaces: {name: cache}\n")).singleElement().asString()
                .contains("keyspaces: expected a list, found a mapping");
        assertThat(errors(REGIONS + "keyspaces: [{name: c, policy: local, max-value-bytes: 0}]\n")).singleElement()
                .asString().contains("'0' is not a whole number from 1 to 67108864");
    }

    @Test
    void replicatedKeyspacesNeedEveryRegionToServeReplication() {
        assertThat(errors("""
                regions:
                  - {name: us-east, http: 127.0.0.1:7001, replication: 127.0.0.1:7051}
                  - {name: eu-west, http: 127.0.0.1:7002}
                keyspaces: [{name: sessions, policy: multi-master}]
                """)).singleElement().asString().contains("regions[1].replication: missing: region 'eu-west' needs a replication address");
    }

    @Test
    void strongKeyspacesNeedEveryRegionToServeConsensus() {
        assertThat(errors("""
                regions:
                  - {name: us-east, http: 127.0.0.1:7001}
                keyspaces: [{name: accounts, policy: strong}]
                """)).singleElement().asString().contains("regions[0].consensus: missing");
    }

    @Test
    void theWanSectionScalesDelays() {
        MeridianConfig config = parse(REGIONS + """
                keyspaces: [{name: cache, policy: local}]
                wan:
                  control: 127.0.0.1:7100
                  latency-scale: 0.5
                  bandwidth-kbps: 8
                  delays:
                    - {between: [us-east, eu-west], one-way-ms: 35}
                """);
        WanConfig wan = config.wan().orElseThrow();
        assertThat(wan.oneWayMillis("eu-west", "us-east")).isEqualTo(17.5);
        assertThat(wan.bandwidthBytesPerSecond()).isEqualTo(1000);
        assertThat(wan.captureDir()).isEmpty();
        assertThat(parse(REGIONS + """
                keyspaces: [{name: cache, policy: local}]
                wan: {control: 127.0.0.1:7100, capture-dir: /tmp/wan capture}
                """).wan().orElseThrow().captureDir()).contains("/tmp/wan capture");
    }

    @Test
    void replicationStreamsDeflateUnlessToldNotTo() {
        String keyspaces = "keyspaces: [{name: sessions, policy: multi-master}]\n";
        assertThat(parse(REGIONS + keyspaces).replication().compression())
                .isEqualTo(io.meridian.core.replication.StreamCodec.Compression.DEFLATE);
        assertThat(parse(REGIONS + keyspaces + "replication:\n  compression: none\n").replication().compression())
                .isEqualTo(io.meridian.core.replication.StreamCodec.Compression.NONE);
        assertThat(errors(REGIONS + keyspaces + "replication:\n  compression: zstd\n"))
                .anySatisfy(e -> assertThat(e).contains("replication.compression").contains("'zstd' is not one of deflate, none"));
    }

    @Test
    void replicationStreamsLingerTwoMillisecondsUnlessToldOtherwise() {
        String keyspaces = "keyspaces: [{name: sessions, policy: multi-master}]\n";
        assertThat(parse(REGIONS + keyspaces).replication().linger()).isEqualTo(Duration.ofMillis(2));
        assertThat(parse(REGIONS + keyspaces + "replication:\n  linger-ms: 0\n").replication().linger()).isZero();
        assertThat(errors(REGIONS + keyspaces + "replication:\n  linger-ms: 5000\n"))
                .anySatisfy(e -> assertThat(e).contains("replication.linger-ms"));
    }

    @Test
    void reportsRefreshAtMostEveryFourSecondsAndCountForTwoRefreshesAndASecond() {
        String keyspaces = "keyspaces: [{name: sessions, policy: multi-master}]\n";
        MeridianConfig defaults = parse(REGIONS + keyspaces);
        assertThat(defaults.failover().reportEvery()).isEqualTo(Duration.ofSeconds(2));
        assertThat(defaults.failover().reportTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(parse(REGIONS + keyspaces + "failover: {report-every-ms: 250}\n").failover().reportTtl())
                .as("never under 3 s").isEqualTo(Duration.ofSeconds(3));
        assertThat(errors(REGIONS + keyspaces + "failover: {report-every-ms: 5000}\n"))
                .anySatisfy(e -> assertThat(e).contains("failover.report-every-ms").contains("from 10 to 4000"));
    }

    @Test
    void failoverSettingsWitnessesAndFailoverOrdersParse() {
        MeridianConfig config = parse(REGIONS + """
                  - {name: us-west, role: witness, http: 127.0.0.1:7003, consensus: 127.0.0.1:7063}
                keyspaces:
                  - {name: catalog, policy: primary, primary: us-east, failover-order: [us-east, eu-west]}
                  - {name: profiles, policy: home-region}
                failover: {policy: auto, lease-ms: 4000, renew-every-ms: 1000, failback: auto}
                """);
        assertThat(config.witnessNames()).containsExactly("us-west");
        assertThat(config.dataRegionNames()).containsExactly("us-east", "eu-west");
        assertThat(config.failover().policy()).isEqualTo(io.meridian.core.failover.FailoverSettings.Policy.AUTO);
        assertThat(config.failover().lease()).isEqualTo(Duration.ofSeconds(4));
        assertThat(config.failover().autoFailback()).isTrue();
        assertThat(config.failoverOrder(config.keyspace("profiles").orElseThrow())).containsExactly("us-east", "eu-west");
        assertThat(config.controlPlane()).isTrue();
    }

    @Test
    void aWitnessHoldsNoDataAndFailoverSettingsAreChecked() {
        assertThat(errors(REGIONS + """
                  - {name: us-west, role: witness, http: 127.0.0.1:7003}
                keyspaces:
                  - {name: catalog, policy: primary, primary: us-west}
                  - {name: profiles, policy: home-region, failover-order: [eu-west]}
                failover: {policy: sometimes, lease-ms: 1000, renew-every-ms: 900}
                """)).anySatisfy(e -> assertThat(e).contains("witness 'us-west' votes in the control plane and needs a consensus address"))
                .anySatisfy(e -> assertThat(e).contains("names witness region 'us-west', which holds no data"))
                .anySatisfy(e -> assertThat(e).contains("failover-order: must list every data region once; missing [us-east]"))
                .anySatisfy(e -> assertThat(e).contains("failover.policy: 'sometimes' is not one of auto, manual, hybrid"))
                .anySatisfy(e -> assertThat(e).contains("more than half the lease"));
    }
}
