package io.meridian.core.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;

/** The YAML configuration file: anything that is not a valid configuration is a {@link ConfigException} listing what is wrong. */
class ConfigFuzzTest {
    @FuzzTest
    void yaml(@NotNull String text) {
        try {
            ConfigLoader.parse("fuzz.yaml", text);
        } catch (ConfigException refused) {
            // the node does not start, and says why
        }
    }
}
