package io.meridian.core.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.replication.Hlc;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class EventLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Event e(String id) {
        return new Event(id, "T", "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
    }

    private static EventLog.Decision decide(long expected, List<Event> events, long last, Map<String, Long> held) {
        return EventLog.decide(new AppendRequest(expected, events), last,
                id -> held.containsKey(id) ? OptionalLong.of(held.get(id)) : OptionalLong.empty());
    }

    @Test
    void expectedVersionsAnyNoneAndExact() {
        assertThat(decide(-1, List.of(e("a")), 4, Map.of())).isEqualTo(new EventLog.Decision.Appended(new Append(5, List.of(e("a")))));
        assertThat(decide(0, List.of(e("a")), 0, Map.of())).isInstanceOf(EventLog.Decision.Appended.class);
        assertThat(decide(0, List.of(e("a")), 4, Map.of())).isEqualTo(new EventLog.Decision.WrongExpectedVersion(0, 4));
        assertThat(decide(4, List.of(e("a"), e("b")), 4, Map.of())).isEqualTo(
                new EventLog.Decision.Appended(new Append(5, List.of(e("a"), e("b")))));
        assertThat(decide(3, List.of(e("a")), 4, Map.of())).isEqualTo(new EventLog.Decision.WrongExpectedVersion(3, 4));
    }

    @Test
    void aRetryIsRecognisedWhateverItExpectedAndAPartialOneIsNot() {
        Map<String, Long> held = Map.of("a", 2L, "b", 3L);
        assertThat(decide(1, List.of(e("a"), e("b")), 7, held)).isEqualTo(new EventLog.Decision.AlreadyAppended(2, 3));
        assertThat(decide(-1, List.of(e("a"), e("c")), 7, held)).isEqualTo(new EventLog.Decision.PartlyAppended("a", 2));
        assertThat(decide(-1, List.of(e("c"), e("b")), 7, held)).isEqualTo(new EventLog.Decision.PartlyAppended("b", 3));
        assertThat(decide(-1, List.of(e("b"), e("a")), 7, held)).isEqualTo(new EventLog.Decision.PartlyAppended("b", 3));
    }

    @Test
    void appendsAndStoredEventsRoundTrip() {
        Append a = new Append(9, List.of(e("a"), new Event("b", "U", "[1]".getBytes(StandardCharsets.UTF_8),
                "{\"m\":1}".getBytes(StandardCharsets.UTF_8))));
        assertThat(EventCodec.decode(EventCodec.encode(a))).isEqualTo(a);
        StoredEvent s = new StoredEvent("s", 9, e("a"), "us-east", 4, new Hlc(1000, 2), 77);
        assertThat(EventCodec.decodeStored("s", EventCodec.encode(s))).isEqualTo(s);
        assertThatThrownBy(() -> EventCodec.decode(new byte[] {9})).isInstanceOf(IllegalArgumentException.class);
        byte[] cut = EventCodec.encode(a);
        assertThatThrownBy(() -> EventCodec.decode(java.util.Arrays.copyOf(cut, cut.length - 3)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void requestsKeepDataAsJsonAndIdsInLowerCase() throws Exception {
        AppendRequest r = AppendRequest.parse(JSON.readTree("""
                {"events": [{"id": "0B6C0E1C-3F5E-4C1A-9D3E-2F1A7C9B8D01", "type": "Paid", "data": {"n": 1}, "metadata": {"by": "x"}},
                            {"id": "0b6c0e1c-3f5e-4c1a-9d3e-2f1a7c9b8d02", "type": "Noted"}]}
                """), 10);
        assertThat(r.expectedVersion()).isEqualTo(AppendRequest.ANY);
        assertThat(r.events().getFirst().id()).isEqualTo("0b6c0e1c-3f5e-4c1a-9d3e-2f1a7c9b8d01");
        assertThat(new String(r.events().getFirst().data(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        assertThat(new String(r.events().get(1).data(), StandardCharsets.UTF_8)).isEqualTo("null");
        assertThat(r.events().get(1).metadata()).isEmpty();
        assertThatThrownBy(() -> AppendRequest.parse(JSON.readTree("{\"events\": [{\"id\": \"0b6c0e1c-3f5e-4c1a-9d3e-2f1a7c9b8d01\","
                + " \"type\": \"T\", \"metadata\": 3}]}"), 10)).isInstanceOf(EventException.class).hasMessageContaining("metadata");
        assertThatThrownBy(() -> AppendRequest.parse(JSON.readTree("{\"expected_version\": 1.5, \"events\": []}"), 10))
                .isInstanceOf(EventException.class).hasMessageContaining("expected_version");
    }

    @Test
    void aNewStreamsHomeIsTheSameWhateverOrderTheRegionsAreListedInAndSpreadsStreamsEvenly() {
        List<String> regions = List.of("us-east", "eu-west", "ap-southeast");
        Map<String, Integer> count = new java.util.TreeMap<>();
        for (int i = 0; i < 3_000; i++) {
            String home = EventLog.defaultHome("o-" + i, regions);
            assertThat(EventLog.defaultHome("o-" + i, List.of("ap-southeast", "us-east", "eu-west"))).isEqualTo(home);
            count.merge(home, 1, Integer::sum);
        }
        assertThat(count.values()).allSatisfy(n -> assertThat(n).isBetween(850, 1_150));
        assertThat(EventLog.defaultHome("o-1", List.of("eu-west"))).isEqualTo("eu-west");
    }
}
