package io.meridian.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Keeps what a test's lab processes logged in {@code target/lab-logs/<test class>/} (the lab's
 * own directory is a temporary one, deleted after the test), and prints each error with the lines
 * after it, then the last lines.
 */
final class LabLogs {
    private LabLogs() {
    }

    static void print(Path logs, int tailLines) throws IOException {
        if (!Files.isDirectory(logs)) {
            return;
        }
        String test = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass().getSimpleName();
        Path kept = Files.createDirectories(Path.of("target", "lab-logs", test));
        try (var files = Files.list(logs)) {
            for (Path log : files.toList()) {
                Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println("lab logs kept in " + kept.toAbsolutePath());
        try (var files = Files.list(logs)) {
            for (Path log : files.sorted().toList()) {
                List<String> lines = Files.readAllLines(log);
                System.out.println("---- " + log.getFileName() + " (errors, then the last lines)");
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains(" ERROR ")) {
                        lines.subList(i, Math.min(lines.size(), i + 10)).forEach(System.out::println);
                    }
                }
                lines.subList(Math.max(0, lines.size() - tailLines), lines.size()).forEach(System.out::println);
            }
        }
    }
}
