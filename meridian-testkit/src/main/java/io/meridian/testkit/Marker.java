package io.meridian.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A unique string a test writes somewhere and then looks for, byte for byte, in files: data
 * directories, logs, captured network bytes. A search that finds nothing proves something only
 * next to one that finds what is there: tests pair each with such a positive control.
 */
public record Marker(String text) {
    /** A new marker: {@code prefix} and a random UUID. */
    public static Marker next(String prefix) {
        return new Marker(prefix + "-" + UUID.randomUUID());
    }

    /** The regular files under {@code root} (recursively) whose bytes contain this marker's UTF-8 bytes. */
    public List<Path> in(Path root) {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).filter(f -> contains(read(f), needle)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return new byte[0]; // a file a running store removed while the search walked (a compacted log)
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }
}
