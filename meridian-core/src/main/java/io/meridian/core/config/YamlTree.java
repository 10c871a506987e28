package io.meridian.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree that remembers where every node was written, so configuration
 * errors can name the line. Jackson's own tree forgets locations; this one is built from the
 * token stream, and rejects duplicate keys (which Jackson would silently overwrite).
 */
sealed interface YamlTree {
    Location at();

    record Location(int line, int column) {
        @Override
        public String toString() {
            return line + ":" + column;
        }
    }

    record Scalar(String text, Location at) implements YamlTree {
    }

    record Null(Location at) implements YamlTree {
    }

    record Sequence(List<YamlTree> items, Location at) implements YamlTree {
    }

    record Mapping(Map<String, Field> fields, Location at) implements YamlTree {
    }

    record Field(String name, Location at, YamlTree value) {
    }

    /** Thrown for YAML that does not parse; carries the location the parser stopped at. */
    final class SyntaxException extends Exception {
        final Location at;

        SyntaxException(String message, Location at) {
            super(message);
            this.at = at;
        }
    }

    static YamlTree parse(String text) throws SyntaxException {
        checkIndentation(text);
        try (JsonParser parser = new YAMLFactory().createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new SyntaxException("the file is empty; expected a mapping with 'regions' and 'keyspaces'",
                        new Location(1, 1));
            }
            return read(parser);
        } catch (JsonProcessingException e) {
            throw new SyntaxException(explain(e.getOriginalMessage()), location(e.getLocation()));
        } catch (IOException e) {
            throw new SyntaxException(e.getMessage(), new Location(1, 1));
        }
    }

    private static YamlTree read(JsonParser parser) throws IOException, SyntaxException {
        Location at = location(parser.currentTokenLocation());
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT -> {
                Map<String, Field> fields = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    Location keyAt = location(parser.currentTokenLocation());
                    parser.nextToken();
                    YamlTree value = read(parser);
                    if (fields.putIfAbsent(name, new Field(name, keyAt, value)) != null) {
                        throw new SyntaxException("duplicate key '" + name + "' (first at line "
                                + fields.get(name).at().line() + ")", keyAt);
                    }
                }
                return new Mapping(fields, at);
            }
            case START_ARRAY -> {
                List<YamlTree> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(read(parser));
                }
                return new Sequence(items, at);
            }
            case VALUE_NULL -> {
                return new Null(at);
            }
            default -> {
                return new Scalar(parser.getText(), at);
            }
        }
    }

    /**
     * YAML indents with spaces only. The parser notices a tab only where it next needs a token,
     * often lines later; this names the tab's own line and column.
     */
    private static void checkIndentation(String text) throws SyntaxException {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String content = line.strip();
            if (content.isEmpty() || content.startsWith("#")) {
                continue;
            }
            for (int c = 0; c < line.length() && (line.charAt(c) == ' ' || line.charAt(c) == '\t'); c++) {
                if (line.charAt(c) == '\t') {
                    throw new SyntaxException("a tab in the indentation; YAML indents with spaces only", new Location(i + 1, c + 1));
                }
            }
        }
    }

    /** The YAML parser's message in plain words where we know what it means; else as it is, first line only. */
    static String explain(String message) {
        String m = message == null ? "" : message;
        if (m.contains("mapping values are not allowed here")) {
            return "a ':' where no key can start (is a value missing its quotes, or the line indented too far?)";
        }
        if (m.contains("expected <block end>")) {
            return "this line's indentation does not match the lines above it (indent fields of one mapping equally)";
        }
        if (m.contains("found unexpected end of stream") || m.contains("found unexpected end")) {
            return "the file ends inside a quoted or bracketed value (a quote or bracket is not closed)";
        }
        if (m.contains("did not find expected key") || m.contains("did not find expected '-' indicator")) {
            return "a line here is not a 'key: value' or '- item' at the indentation expected";
        }
        if (m.contains("found character that cannot start any token") || m.contains("cannot start any token")) {
            return "a character that cannot start a value here (quote values that begin with '@', '`' or '%')";
        }
        int newline = m.indexOf('\n');
        return newline < 0 ? m : m.substring(0, newline);
    }

    private static Location location(JsonLocation l) {
        return l == null ? new Location(1, 1) : new Location(Math.max(1, l.getLineNr()), Math.max(1, l.getColumnNr()));
    }
}
