package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonValuesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyValueIsJsonOfExactlyTheAskedSize() throws Exception {
        long seed = System.nanoTime();
        JsonValues values = new JsonValues(seed);
        for (int size = 2; size <= 2_000; size++) {
            byte[] v = values.next(size);
            assertThat(v).as("size %d, seed %d", size, seed).hasSize(size);
            JsonNode node = JSON.readTree(v);
            assertThat(node.isObject() || node.isTextual()).as("size %d, seed %d", size, seed).isTrue();
        }
    }

    @Test
    void documentsVaryAndRepeatForTheSameSeed() {
        JsonValues a = new JsonValues(7);
        JsonValues b = new JsonValues(7);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            byte[] v = a.next(100);
            assertThat(b.next(100)).isEqualTo(v);
            seen.add(new String(v, java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(seen).hasSizeGreaterThan(95);
        assertThat(seen.iterator().next()).startsWith("{\"id\":\"");
    }

    @Test
    void refusesASizeNoJsonFits() {
        assertThatThrownBy(() -> new JsonValues(1).next(1)).hasMessageContaining("at least 2 bytes");
    }
}
