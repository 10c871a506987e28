package io.meridian.node;

import io.meridian.core.config.ConfigException;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Reads a configuration file from disk; {@link ConfigLoader} does the parsing and checking. */
public final class ConfigFile {
    private ConfigFile() {
    }

    /** @throws ConfigException naming the file for a missing or unreadable file, or any invalid content */
    public static MeridianConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), List.of(file + ": no such file"));
        } catch (MalformedInputException e) {
            throw new ConfigException(file.toString(), List.of(file + ": not UTF-8 text"));
        } catch (IOException e) {
            throw new ConfigException(file.toString(), List.of(file + ": cannot read: " + e.getMessage()));
        }
        Path base = file.toAbsolutePath().getParent();
        return ConfigLoader.parse(file.toString(), text).resolvedAgainst(base);
    }
}
