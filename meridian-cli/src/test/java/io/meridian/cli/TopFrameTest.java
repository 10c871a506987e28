package io.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code meridian top}'s screen from two samples: rates, percentiles, down regions, exposure, decisions. */
class TopFrameTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SECOND = 1_000_000_000L;

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode cluster(String region, long bytesToPeer, long conflicts, long unreplicated, String exposure) {
        String peer = region.equals("us-east") ? "eu-west" : "us-east";
        return json("{'region': '" + region + "', 'keyspaces': [{'name': 'profiles', 'policy': 'home-region'}],"
                + " 'peers': [{'region': '" + peer + "', 'reachable': true, 'rtt_ms': 70.5}],"
                + " 'replication': {'unreplicated_writes': " + unreplicated + ", 'conflicts_detected': " + conflicts + ","
                + "   'peers': [{'region': '" + peer + "', 'lag_ms': 40, 'lag_entries': 3, 'bytes_sent': " + bytesToPeer + "}]},"
                + " 'exposure': {'" + region + "': {'keyspaces': [" + exposure + "]}}}");
    }

    private static final JsonNode FAILOVERS = json("{'epoch': 4, 'policy': 'manual', 'control_leader': 'us-east',"
            + " 'lease': {'held': true}, 'regions': [{'name': 'us-east', 'status': 'active'}, {'name': 'eu-west', 'status': 'active'},"
            + " {'name': 'ap-southeast', 'status': 'active', 'witness': false}],"
            + " 'decisions': [{'id': 1, 'region': 'eu-west', 'status': 'restored', 'trigger': 'auto'},"
            + "   {'id': 2, 'region': 'ap-southeast', 'status': 'pending', 'trigger': 'manual'}]}");

    /** Requests on keyspace {@code profiles}: {@code fast} within 5 ms, {@code slow} within 50 ms, {@code failed} 503s; and probes. */
    private static String metrics(long fast, long slow, long failed, long probes) {
        long ok = fast + slow;
        return String.join("\n",
                "# HELP meridian_requests_seconds HTTP API requests",
                "meridian_requests_seconds_bucket{keyspace=\"profiles\",operation=\"get\",region=\"us-east\",status=\"200\",le=\"0.005\"} " + fast,
                "meridian_requests_seconds_bucket{keyspace=\"profiles\",operation=\"get\",region=\"us-east\",status=\"200\",le=\"0.05\"} " + ok,
                "meridian_requests_seconds_bucket{keyspace=\"profiles\",operation=\"get\",region=\"us-east\",status=\"200\",le=\"+Inf\"} " + ok,
                "meridian_requests_seconds_count{keyspace=\"profiles\",operation=\"get\",region=\"us-east\",status=\"200\"} " + ok + ".0",
                "meridian_requests_seconds_bucket{keyspace=\"profiles\",operation=\"put\",region=\"us-east\",status=\"503\",le=\"0.005\"} " + failed,
                "meridian_requests_seconds_bucket{keyspace=\"profiles\",operation=\"put\",region=\"us-east\",status=\"503\",le=\"0.05\"} " + failed,
                "meridian_requests_seconds_bucket{keyspace=\"profiles\",operation=\"put\",region=\"us-east\",status=\"503\",le=\"+Inf\"} " + failed,
                "meridian_requests_seconds_count{keyspace=\"profiles\",operation=\"put\",region=\"us-east\",status=\"503\"} " + failed + ".0",
                "meridian_requests_seconds_bucket{keyspace=\"-\",operation=\"health\",region=\"us-east\",status=\"200\",le=\"+Inf\"} " + probes,
                "meridian_requests_seconds_count{keyspace=\"-\",operation=\"health\",region=\"us-east\",status=\"200\"} " + probes + ".0",
                "meridian_requests_seconds_max{keyspace=\"profiles\",operation=\"get\",region=\"us-east\",status=\"200\"} 0.04");
    }

    @Test
    void ratesAndTheP99ComeFromTheDifferenceBetweenTwoSamplesLeavingProbesOut() {
        List<TopFrame.Sample> before = List.of(
                new TopFrame.Sample("us-east", 0, cluster("us-east", 1_000, 5, 0, ""), FAILOVERS, metrics(100, 0, 0, 50), null, null),
                new TopFrame.Sample("eu-west", 0, cluster("eu-west", 0, 0, 0, ""), FAILOVERS, metrics(0, 0, 0, 50), null, null));
        // Two seconds later: 980 fast and 20 slow requests more (p99 in the 50 ms bucket), 10 refused, 4,000 probes.
        List<TopFrame.Sample> now = List.of(
                new TopFrame.Sample("us-east", 2 * SECOND, cluster("us-east", 9_000, 7, 12,
                        "{'keyspace': 'profiles', 'writes': 12, 'oldest_age_ms': 300, 'rpo_budget_ms': 250}"), FAILOVERS,
                        metrics(1_080, 20, 10, 4_050), null, null),
                new TopFrame.Sample("eu-west", 2 * SECOND, cluster("eu-west", 0, 0, 0, ""), FAILOVERS, metrics(0, 0, 0, 4_050),
                        json("{'sources': [{'source': 'ap-southeast', 'p99_ms': 90}, {'source': 'us-east', 'p99_ms': 41}]}"), null));

        TopFrame frame = TopFrame.of(Instant.parse("2026-12-02T01:00:00Z"), before, now);

        TopFrame.RegionRow east = frame.regions().getFirst();
        assertThat(east.requestsPerSecond()).isEqualTo(505.0); // (1,000 + 10) / 2 s; the probes are not requests
        assertThat(east.errorsPerSecond()).isEqualTo(5.0);
        // 1,010 requests: 990 within 5 ms (980 fast + 10 refused), 20 within 50 ms; the 99th percentile is at rank 999.9.
        assertThat(east.p99Ms()).isEqualTo(50.0);
        assertThat(east.conflictsPerMinute()).isEqualTo(60.0); // 2 in 2 s
        assertThat(east.unreplicatedWrites()).isEqualTo(12);
        assertThat(east.lease()).isEqualTo("held");
        assertThat(frame.links().getFirst()).isEqualTo(new TopFrame.LinkRow("us-east", "eu-west", true, 70.5, 40L, 3L, 4_000.0,
                41L)).as("the canary staleness us-east's beats have in eu-west");
        assertThat(frame.keyspaces()).containsExactly(new TopFrame.KeyspaceRow("profiles", "home-region", 250L, "us-east", 12, 300));
        assertThat(frame.epoch()).isEqualTo(4);
        assertThat(frame.decisions()).as("the restored decision is over; the pending one waits for an operator")
                .containsExactly("#2 ap-southeast pending (manual): waiting for `meridian failover approve 2` or `reject`");

        String screen = frame.render("rates over 2.0 s");
        assertThat(screen).contains("epoch 4", "us-east", "505.0", "50.0", "OVER BUDGET", "us-east → eu-west", "4,000", "OPEN DECISIONS",
                "SEEN P99 MS");
        assertThat(screen.lines().filter(l -> l.startsWith("us-east → eu-west")).findFirst().orElseThrow()).endsWith(" 41");
    }

    @Test
    void aRegionThatDoesNotAnswerShowsWhyAndItsStatusAsTheOthersSeeIt() {
        JsonNode failedOver = json("{'epoch': 5, 'policy': 'auto', 'regions': [{'name': 'us-east', 'status': 'active'},"
                + " {'name': 'eu-west', 'status': 'failed'}], 'decisions': [{'id': 3, 'region': 'eu-west', 'status': 'failed-over',"
                + " 'trigger': 'auto'}]}");
        List<TopFrame.Sample> samples = List.of(
                new TopFrame.Sample("us-east", 0, cluster("us-east", 0, 0, 0, ""), failedOver, metrics(0, 0, 0, 0), null, null),
                TopFrame.Sample.down("eu-west", 0, "connection refused"));

        TopFrame frame = TopFrame.of(Instant.EPOCH, List.of(), samples);

        assertThat(frame.regions().get(1)).isEqualTo(new TopFrame.RegionRow("eu-west", false, "failed", "-", null, null, null, null, null,
                "connection refused"));
        assertThat(frame.regions().getFirst().requestsPerSecond()).as("no rate from one sample").isNull();
        assertThat(frame.decisions()).containsExactly("#3 eu-west failed-over (auto)");
        assertThat(frame.render("x")).contains("eu-west        failed     not answering: connection refused", "epoch 5");
    }

    @Test
    void intervalsAreDurationsOfAtLeastATenthOfASecond() {
        assertThat(TopCommand.parseDuration("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(TopCommand.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(TopCommand.parseDuration("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> TopCommand.parseDuration("50ms")).hasMessageContaining("under 100 ms");
        assertThatThrownBy(() -> TopCommand.parseDuration("soon")).hasMessageContaining("not a duration like 2s");
    }
}
