package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VersionVectorTest {

    @Test
    void aVectorKeepsPositiveSequencesSortedByOriginAndCannotBeChanged() {
        Map<String, Long> given = new HashMap<>(Map.of("us-east", 3L, "ap-southeast", 0L, "eu-west", 7L));
        VersionVector v = new VersionVector(given);
        given.put("us-east", 99L);

        assertThat(v.seqs().keySet()).containsExactly("eu-west", "us-east");
        assertThat(v.get("us-east")).as("a copy of what it was given").isEqualTo(3);
        assertThat(v.get("ap-southeast")).isZero();
        assertThat(v).hasToString("{eu-west=7, us-east=3}");
        assertThatThrownBy(() -> v.seqs().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> v.seqs().entrySet().iterator().next().setValue(1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> new VersionVector(Map.of("x", -1L))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> v.with("x", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withRaisesOneOriginAndLeavesTheVectorItWasCalledOn() {
        VersionVector v = new VersionVector(Map.of("a", 5L));

        assertThat(v.with("a", 9).get("a")).isEqualTo(9);
        assertThat(v.with("a", 2)).as("never lowers").isEqualTo(v);
        assertThat(v.with("b", 0)).as("a zero adds nothing").isEqualTo(v).isEqualTo(new VersionVector(Map.of("a", 5L, "b", 0L)));
        assertThat(v.with("b", 1).seqs()).containsExactly(Map.entry("a", 5L), Map.entry("b", 1L));
        assertThat(v.get("a")).isEqualTo(5);
        assertThat(v.get("b")).isZero();
    }

    @Test
    void vectorsBuiltFromEqualSequencesAreEqualHowEverTheyWereBuilt() {
        VersionVector built = VersionVector.EMPTY.with("b", 2).with("a", 1);
        VersionVector given = new VersionVector(new HashMap<>(Map.of("a", 1L, "b", 2L)));
        VersionVector copied = new VersionVector(built.seqs());

        assertThat(built).isEqualTo(given).isEqualTo(copied).hasSameHashCodeAs(given);
        assertThat(built.seqs()).isEqualTo(Map.of("a", 1L, "b", 2L)).hasSameHashCodeAs(Map.of("a", 1L, "b", 2L));
        assertThat(Map.of("a", 1L, "b", 2L)).isEqualTo(built.seqs());
        assertThat(built.seqs()).isNotEqualTo(Map.of("a", 1L, "b", 3L)).isNotEqualTo(Map.of("a", 1L));
        assertThat(built.seqs().keySet()).containsExactly("a", "b").contains("b").doesNotContain("c");
        assertThat(built.seqs().get("c")).isNull();
        assertThat(built.seqs().containsKey(7)).isFalse();
        Map<String, Long> many = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            many.put("region-" + (i * 7919 % 40), (long) i);
        }
        assertThat(List.copyOf(new VersionVector(many).seqs().keySet())).as("sorted however they came").isSorted().hasSize(39);
        Map<String, Long> positive = new HashMap<>(many);
        positive.remove("region-0"); // its zero is no entry
        assertThat(new VersionVector(many).seqs()).isEqualTo(positive);
        assertThat(built.compare(given)).isEqualTo(VersionVector.Order.EQUAL);
    }

    /**
     * Merge is the join of a lattice: commutative, associative, idempotent, and the least vector
     * that covers both; {@code with} is a merge with one origin. Random vectors over four origins,
     * from a printed seed (set {@code -Dmeridian.seed=N} to replay one).
     */
    @Test
    void mergeIsTheLeastUpperBoundAndWithIsAMergeOfOneOrigin() {
        long seed = Long.getLong("meridian.seed", System.nanoTime());
        System.out.println("VersionVectorTest seed: " + seed);
        Random random = new Random(seed);
        List<String> origins = List.of("a", "b", "c", "d");
        for (int i = 0; i < 2_000; i++) {
            VersionVector x = random(random, origins);
            VersionVector y = random(random, origins);
            VersionVector z = random(random, origins);
            VersionVector xy = x.merge(y);

            assertThat(xy).as("seed %d: commutative", seed).isEqualTo(y.merge(x));
            assertThat(xy.merge(z)).as("seed %d: associative", seed).isEqualTo(x.merge(y.merge(z)));
            assertThat(x.merge(x)).as("seed %d: idempotent", seed).isEqualTo(x);
            assertThat(xy.covers(x) && xy.covers(y)).as("seed %d: covers both", seed).isTrue();
            for (String o : origins) {
                assertThat(xy.get(o)).as("seed %d: least", seed).isEqualTo(Math.max(x.get(o), y.get(o)));
            }
            String origin = origins.get(random.nextInt(origins.size()));
            long seq = random.nextInt(6);
            assertThat(x.with(origin, seq)).as("seed %d: with", seed).isEqualTo(x.merge(new VersionVector(Map.of(origin, seq))));
            assertThat(x.compare(xy)).as("seed %d: order", seed)
                    .isIn(x.equals(xy) ? VersionVector.Order.EQUAL : VersionVector.Order.BEFORE);
        }
    }

    private static VersionVector random(Random random, List<String> origins) {
        Map<String, Long> seqs = new HashMap<>();
        for (String o : origins) {
            if (random.nextBoolean()) {
                seqs.put(o, (long) random.nextInt(6));
            }
        }
        return new VersionVector(seqs);
    }
}
