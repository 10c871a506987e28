package io.meridian.core.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.replication.Hlc;
import io.meridian.testkit.Seeds;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Laws of every CRDT type over seeded random operations ({@code -Dcrdt.seed=N} replays a run):
 * join is commutative, associative and idempotent; replicas that receive every delta, in any
 * order, with duplicates and with full-state merges mixed in, end equal; a counter's value is the
 * sum of every operation.
 */
class CrdtLawsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");
    private static final List<CrdtType> TYPES = List.of(new CrdtType.Counter(), new CrdtType.Set(), new CrdtType.Register(),
            new CrdtType.MultiValue(), new CrdtType.Sequence(), new CrdtType.Map(new CrdtType.Counter()),
            new CrdtType.Map(new CrdtType.Register()), new CrdtType.Map(new CrdtType.Set()),
            new CrdtType.Map(new CrdtType.Map(new CrdtType.MultiValue())));

    /** A random operation that fits {@code type} at this replica (sequence ids from what it holds). */
    private static List<CrdtOp> randomOps(CrdtType type, CrdtState at, Random r, long[] sum) {
        return switch (type) {
            case CrdtType.Counter c -> {
                long amount = r.nextInt(21) - 10;
                sum[0] += amount;
                yield List.of(new CrdtOp.Increment(amount));
            }
            case CrdtType.Set c -> List.of(r.nextBoolean() ? new CrdtOp.Add(List.of("e" + r.nextInt(5)))
                    : new CrdtOp.Remove(List.of("e" + r.nextInt(5))));
            case CrdtType.Register c -> List.of(new CrdtOp.Set("\"v" + r.nextInt(100) + "\""));
            case CrdtType.MultiValue c -> List.of(new CrdtOp.Set(Integer.toString(r.nextInt(100))));
            case CrdtType.Sequence c -> {
                DotStore.Sequence seq = (DotStore.Sequence) at.store();
                List<Dot> ids = new ArrayList<>(seq.items().keySet());
                if (!ids.isEmpty() && r.nextInt(4) == 0) {
                    yield List.of(new CrdtOp.Delete(ids.get(r.nextInt(ids.size()))));
                }
                java.util.Optional<Dot> after = ids.isEmpty() || r.nextBoolean() ? java.util.Optional.empty()
                        : java.util.Optional.of(ids.get(r.nextInt(ids.size())));
                yield List.of(new CrdtOp.Insert(after, java.util.Optional.empty(), "x" + r.nextInt(10)));
            }
            case CrdtType.Map m -> {
                String field = "f" + r.nextInt(3);
                if (r.nextInt(4) == 0) {
                    yield List.of(new CrdtOp.RemoveField(field));
                }
                DotStore nested = ((DotStore.Fields) at.store()).fields().getOrDefault(field, m.values().empty());
                yield List.of(new CrdtOp.Update(Map.of(field, randomOps(m.values(), new CrdtState(nested, at.context()), r,
                        new long[1]))));
            }
        };
    }

    @Test
    void replicasThatJoinEveryDeltaInAnyOrderWithDuplicatesEndEqual() {
        long seed = Seeds.seed("CRDT convergence", "crdt.seed");
        Random r = new Random(seed);
        for (CrdtType type : TYPES) {
            for (int run = 0; run < 40; run++) {
                CrdtState[] replicas = new CrdtState[REGIONS.size()];
                java.util.Arrays.fill(replicas, CrdtState.empty(type));
                List<List<CrdtState>> inbox = new ArrayList<>();
                REGIONS.forEach(x -> inbox.add(new ArrayList<>()));
                List<CrdtState> all = new ArrayList<>();
                long[] sum = new long[1];
                long clock = 0;
                for (int step = 0; step < 60; step++) {
                    int i = r.nextInt(REGIONS.size());
                    int what = r.nextInt(10);
                    if (what < 5) {
                        List<CrdtOp> ops = randomOps(type, replicas[i], r, sum);
                        CrdtState d = Crdts.delta(type, replicas[i], ops, REGIONS.get(i), new Hlc(++clock, 0));
                        replicas[i] = replicas[i].join(d);
                        all.add(d);
                        for (int j = 0; j < REGIONS.size(); j++) {
                            if (j != i) {
                                inbox.get(j).add(d);
                                if (r.nextInt(5) == 0) {
                                    inbox.get(j).add(d); // a duplicate
                                }
                            }
                        }
                    } else if (what < 9 && !inbox.get(i).isEmpty()) {
                        // any pending delta, not the oldest: reordered delivery
                        replicas[i] = replicas[i].join(inbox.get(i).remove(r.nextInt(inbox.get(i).size())));
                    } else {
                        int j = r.nextInt(REGIONS.size()); // a snapshot: a whole state joined
                        replicas[i] = replicas[i].join(replicas[j]);
                    }
                }
                for (int i = 0; i < REGIONS.size(); i++) {
                    List<CrdtState> rest = new ArrayList<>(inbox.get(i));
                    Collections.shuffle(rest, r);
                    for (CrdtState d : rest) {
                        replicas[i] = replicas[i].join(d);
                    }
                }
                String where = type.name() + ", run " + run + " (-Dcrdt.seed=" + seed + ")";
                for (int i = 1; i < REGIONS.size(); i++) {
                    assertThat(replicas[i].store()).as("replica %d of %s", i, where).isEqualTo(replicas[0].store());
                    assertThat(Crdts.value(type, replicas[i].store())).isEqualTo(Crdts.value(type, replicas[0].store()));
                }
                if (type instanceof CrdtType.Counter) {
                    assertThat(Crdts.value(type, replicas[0].store())).as("the sum of every increment, " + where)
                            .isEqualTo(BigInteger.valueOf(sum[0]));
                }
                // The join laws, on states and deltas of this run.
                CrdtState a = all.isEmpty() ? replicas[0] : all.get(r.nextInt(all.size()));
                CrdtState b = replicas[r.nextInt(REGIONS.size())];
                CrdtState c = all.isEmpty() ? replicas[1] : all.get(r.nextInt(all.size()));
                assertThat(a.join(b).store()).as("commutative, " + where).isEqualTo(b.join(a).store());
                assertThat(a.join(b).join(c).store()).as("associative, " + where).isEqualTo(a.join(b.join(c)).store());
                assertThat(a.join(a).store()).as("idempotent, " + where).isEqualTo(a.store());
                assertThat(replicas[0].context().cloud()).as("the context is compact once every delta arrived, " + where).isEmpty();
            }
        }
    }

    /**
     * Applying an operation's delta does what the operation means: on one replica, a run of random
     * operations leaves the value a plain sequential model of the type gives (a number, a
     * {@code java.util.Set}, the last value set, a map of numbers, a list).
     */
    @Test
    void applyingTheDeltaOfAnOperationDoesWhatTheOperationMeans() {
        long seed = Seeds.seed("CRDT delta = operation", "crdt.seed");
        Random r = new Random(seed);
        String where = " (-Dcrdt.seed=" + seed + ")";
        for (int run = 0; run < 20; run++) {
            String region = REGIONS.get(r.nextInt(3));
            CrdtType counter = new CrdtType.Counter();
            CrdtType set = new CrdtType.Set();
            CrdtType register = new CrdtType.Register();
            CrdtType cart = new CrdtType.Map(new CrdtType.Counter());
            CrdtType seq = new CrdtType.Sequence();
            CrdtState c = CrdtState.empty(counter);
            CrdtState s = CrdtState.empty(set);
            CrdtState g = CrdtState.empty(register);
            CrdtState m = CrdtState.empty(cart);
            CrdtState q = CrdtState.empty(seq);
            long sum = 0;
            java.util.TreeSet<String> elements = new java.util.TreeSet<>();
            String last = null;
            java.util.TreeMap<String, Long> fields = new java.util.TreeMap<>();
            List<String> text = new ArrayList<>();
            for (int i = 1; i <= 100; i++) {
                Hlc at = new Hlc(i, 0);
                long amount = r.nextInt(201) - 100;
                c = c.join(Crdts.delta(counter, c, List.of(new CrdtOp.Increment(amount)), region, at));
                sum += amount;
                String e = "e" + r.nextInt(8);
                boolean add = r.nextBoolean();
                s = s.join(Crdts.delta(set, s, List.of(add ? new CrdtOp.Add(List.of(e)) : new CrdtOp.Remove(List.of(e))), region, at));
                if (add) {
                    elements.add(e);
                } else {
                    elements.remove(e);
                }
                last = "\"" + i + "\"";
                g = g.join(Crdts.delta(register, g, List.of(new CrdtOp.Set(last)), region, at));
                String f = "f" + r.nextInt(4);
                if (r.nextInt(4) == 0) {
                    m = m.join(Crdts.delta(cart, m, List.of(new CrdtOp.RemoveField(f)), region, at));
                    fields.remove(f);
                } else {
                    m = m.join(Crdts.delta(cart, m, List.of(new CrdtOp.Update(Map.of(f, List.of(new CrdtOp.Increment(amount))))),
                            region, at));
                    fields.merge(f, amount, Long::sum);
                }
                DotStore.Sequence current = (DotStore.Sequence) q.store();
                List<Dot> visible = current.order().stream().filter(d -> !current.deleted().contains(d)).toList();
                if (!visible.isEmpty() && r.nextInt(3) == 0) {
                    int at2 = r.nextInt(visible.size());
                    q = q.join(Crdts.delta(seq, q, List.of(new CrdtOp.Delete(visible.get(at2))), region, at));
                    text.remove(at2);
                } else {
                    int pos = r.nextInt(visible.size() + 1); // insert before the element now at pos (the end when pos = size)
                    CrdtOp op = pos == visible.size() ? new CrdtOp.Insert(java.util.Optional.empty(), java.util.Optional.empty(), "x" + i)
                            : new CrdtOp.Insert(java.util.Optional.empty(), java.util.Optional.of(visible.get(pos)), "x" + i);
                    q = q.join(Crdts.delta(seq, q, List.of(op), region, at));
                    text.add(pos, "x" + i);
                }
            }
            assertThat(Crdts.value(counter, c.store())).as("counter" + where).isEqualTo(BigInteger.valueOf(sum));
            assertThat(Crdts.value(set, s.store())).as("set" + where).isEqualTo(List.copyOf(elements));
            assertThat(Crdts.value(register, g.store()).toString()).as("register" + where).isEqualTo(last);
            Map<String, BigInteger> expected = new java.util.TreeMap<>();
            fields.forEach((f, v) -> expected.put(f, BigInteger.valueOf(v)));
            assertThat(Crdts.value(cart, m.store())).as("map" + where).isEqualTo(expected);
            assertThat(((List<?>) Crdts.value(seq, q.store())).stream().map(x -> ((Map<?, ?>) x).get("value")).toList())
                    .as("sequence" + where).isEqualTo(text);
        }
    }

    private static CrdtState apply(CrdtType type, CrdtState s, String region, long t, String opJson) throws Exception {
        return s.join(Crdts.delta(type, s, CrdtOp.parse(JSON.readTree(opJson)), region, new Hlc(t, 0)));
    }

    @Test
    void aConcurrentAddAndRemoveOfTheSameElementKeepsIt() throws Exception {
        CrdtType set = new CrdtType.Set();
        CrdtState start = apply(set, CrdtState.empty(set), "us-east", 1, "{\"add\": [\"milk\"]}");
        CrdtState removed = apply(set, start, "eu-west", 2, "{\"remove\": [\"milk\"]}");
        CrdtState readded = apply(set, start, "ap-southeast", 3, "{\"add\": [\"milk\"]}");
        assertThat(Crdts.value(set, removed.join(readded).store())).isEqualTo(List.of("milk"));
        assertThat(Crdts.value(set, removed.store())).isEqualTo(List.of());
    }

    @Test
    void aCartKeepsBothItemsAddedInTwoRegionsAndAnUpdateConcurrentWithARemoveKeepsTheField() throws Exception {
        CrdtType cart = new CrdtType.Map(new CrdtType.Counter());
        CrdtState us = apply(cart, CrdtState.empty(cart), "us-east", 1, "{\"update\": {\"apples\": {\"increment\": 2}}}");
        CrdtState eu = apply(cart, CrdtState.empty(cart), "eu-west", 1, "{\"update\": {\"pears\": {\"increment\": 1}}}");
        CrdtState both = us.join(eu);
        assertThat(Crdts.value(cart, both.store())).isEqualTo(Map.of("apples", BigInteger.TWO, "pears", BigInteger.ONE));
        CrdtState removedInUs = apply(cart, both, "us-east", 2, "{\"remove_field\": \"apples\"}");
        CrdtState addedInEu = apply(cart, both, "eu-west", 2, "{\"update\": {\"apples\": {\"increment\": 3}}}");
        // Add wins: the field stays, with what the updating region added (the remove dropped the 2 it saw).
        assertThat(Crdts.value(cart, removedInUs.join(addedInEu).store()))
                .isEqualTo(Map.of("apples", BigInteger.valueOf(3), "pears", BigInteger.ONE));
    }

    @Test
    void concurrentRunsInsertedAtOnePositionNeverInterleave() throws Exception {
        CrdtType seq = new CrdtType.Sequence();
        CrdtState base = apply(seq, CrdtState.empty(seq), "us-east", 1, "{\"insert\": {\"value\": \"#\"}}");
        String head = "us-east:1";
        CrdtState[] regions = new CrdtState[] {base, base, base};
        for (int i = 0; i < 3; i++) {
            String after = head;
            for (char ch : "abc".toCharArray()) {
                CrdtState next = apply(seq, regions[i], REGIONS.get(i), 10 + i, "{\"insert\": {\"after\": \"" + after
                        + "\", \"value\": \"" + (char) (ch + 3 * i) + "\"}}");
                DotStore.Sequence s = (DotStore.Sequence) next.store();
                after = s.order().get(s.order().indexOf(Dot.parse(after)) + 1).toString();
                regions[i] = next;
            }
        }
        CrdtState merged = regions[0].join(regions[2]).join(regions[1]);
        StringBuilder text = new StringBuilder();
        for (Object item : (List<?>) Crdts.value(seq, merged.store())) {
            text.append(((Map<?, ?>) item).get("value"));
        }
        assertThat(text.toString()).startsWith("#").hasSize(10);
        for (String run : List.of("abc", "def", "ghi")) {
            assertThat(text.toString()).as("runs stay whole").contains(run);
        }
        assertThat(Crdts.value(seq, regions[1].join(regions[0]).join(regions[2]).store())).isEqualTo(Crdts.value(seq, merged.store()));
    }

    @Test
    void operationsThatDoNotFitTheTypeOrItsRangeAreRefusedNamingBoth() throws Exception {
        CrdtType counter = new CrdtType.Counter();
        assertThatThrownBy(() -> apply(counter, CrdtState.empty(counter), "us-east", 1, "{\"add\": [\"a\"]}"))
                .isInstanceOf(CrdtException.class).hasMessageContaining("'add' does not apply to a counter");
        CrdtState high = apply(counter, CrdtState.empty(counter), "us-east", 1, "{\"increment\": 9223372036854775807}");
        assertThatThrownBy(() -> apply(counter, high, "eu-west", 2, "{\"increment\": 1}"))
                .isInstanceOf(CrdtException.class).hasMessageContaining("64-bit");
        assertThatThrownBy(() -> CrdtOp.parse(JSON.readTree("{\"increment\": 1.5}"))).isInstanceOf(CrdtException.class);
        assertThatThrownBy(() -> CrdtOp.parse(JSON.readTree("{\"increment\": 99999999999999999999}"))).isInstanceOf(CrdtException.class);
        assertThatThrownBy(() -> CrdtOp.parse(JSON.readTree("{\"jump\": 1}"))).hasMessageContaining("unknown operation 'jump'");
        CrdtType seq = new CrdtType.Sequence();
        assertThatThrownBy(() -> apply(seq, CrdtState.empty(seq), "us-east", 1, "{\"delete\": \"eu-west:7\"}"))
                .hasMessageContaining("no element eu-west:7");
        assertThatThrownBy(() -> CrdtType.parse("map<sequence>")).hasMessageContaining("cannot be sequences");
        assertThatThrownBy(() -> CrdtType.parse("bag")).hasMessageContaining("unknown CRDT type 'bag'");
    }

    @Test
    void aSetsMetadataStaysBoundedByItsLiveElementsAndTheRegions() {
        CrdtType set = new CrdtType.Set();
        Random r = new Random(7);
        CrdtState[] replicas = {CrdtState.empty(set), CrdtState.empty(set), CrdtState.empty(set)};
        for (int i = 0; i < 30_000; i++) {
            int at = r.nextInt(3);
            String e = "e" + r.nextInt(50);
            CrdtOp op = r.nextBoolean() ? new CrdtOp.Add(List.of(e)) : new CrdtOp.Remove(List.of(e));
            CrdtState d = Crdts.delta(set, replicas[at], List.of(op), REGIONS.get(at), new Hlc(i, 0));
            for (int j = 0; j < 3; j++) {
                replicas[j] = replicas[j].join(d); // delivered everywhere at once, in order
            }
        }
        DotStore.Elements s = (DotStore.Elements) replicas[0].store();
        assertThat(s.dots()).as("one dot per live element").hasSize(s.elements().size());
        assertThat(replicas[0].context().vector()).hasSizeLessThanOrEqualTo(3);
        assertThat(replicas[0].context().cloud()).isEmpty();
    }
}
