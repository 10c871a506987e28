package io.meridian.core.config;

import java.util.List;

/**
 * A configuration file that cannot be used. Each error names the file, line, column and field,
 * and says what was expected; all errors found are reported at once.
 */
public final class ConfigException extends RuntimeException {
    private final List<String> errors;

    public ConfigException(String source, List<String> errors) {
        super(summary(source, errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }

    private static String summary(String source, List<String> errors) {
        String noun = errors.size() == 1 ? "error" : "errors";
        return errors.size() + " configuration " + noun + " in " + source + ":\n  " + String.join("\n  ", errors);
    }
}
