package io.streamable.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamable.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How {@code tail} prints a message: a JSON line (the default), the payload alone as a JSON line
 * (the input format of {@code produce}, so {@code tail | produce} copies a topic), or a template
 * like kcat's {@code -f}. A template is parsed once into parts, so printing a message costs one
 * pass over them.
 *
 * <p>Placeholders: {@code %t} topic, {@code %p} position, {@code %k} sharding key, {@code %c}
 * logCompactId (empty if none), {@code %s} payload as JSON, {@code %r} payload as text (a JSON
 * string without its quotes, anything else as JSON), {@code %T} creation time (ISO-8601),
 * {@code %h} headers as a JSON object, {@code %%} a percent sign. Escapes: {@code \n} newline,
 * {@code \t} tab, {@code \r} carriage return, {@code \\} backslash. Nothing is added: end the
 * template with {@code \n} for one line per message.
 */
final class OutputFormat {
    /** The placeholders and what they print, for help and error messages. */
    static final String PLACEHOLDERS = "%t topic, %p position, %k sharding key, %c logCompactId, %s payload as JSON,"
            + " %r payload as text, %T creation time, %h headers as JSON, %% percent; escapes \\n \\t \\r \\\\";

    private static final OutputFormat JSON = new OutputFormat(null);
    private static final OutputFormat PAYLOAD = new OutputFormat(List.of(new Part('s', null), new Part('L', "\n")));

    /** A literal (field 'L') or one placeholder's letter. */
    private record Part(char field, String literal) {
    }

    private final List<Part> parts;

    private OutputFormat(List<Part> parts) {
        this.parts = parts;
    }

    /** One JSON line per message with every field (the default). */
    static OutputFormat json() {
        return JSON;
    }

    /** The payload alone, one JSON document per line. */
    static OutputFormat payload() {
        return PAYLOAD;
    }

    /**
     * Parses a template.
     *
     * @throws UsageException naming the unknown placeholder or escape, and listing the known ones
     */
    static OutputFormat template(String template) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c != '%' && c != '\\') {
                literal.append(c);
                continue;
            }
            if (i + 1 == template.length()) {
                throw new UsageException("--format \"" + template + "\" ends with a lone " + c + "; write " + c + c
                        + " for the character itself. Placeholders: " + PLACEHOLDERS);
            }
            char next = template.charAt(++i);
            if (c == '\\') {
                switch (next) {
                    case 'n' -> literal.append('\n');
                    case 't' -> literal.append('\t');
                    case 'r' -> literal.append('\r');
                    case '\\' -> literal.append('\\');
                    default -> throw new UsageException("--format \"" + template + "\" has an unknown escape \\" + next
                            + ". Placeholders: " + PLACEHOLDERS);
                }
            } else if (next == '%') {
                literal.append('%');
            } else if ("tpkcsrTh".indexOf(next) >= 0) {
                if (literal.length() > 0) {
                    parts.add(new Part('L', literal.toString()));
                    literal.setLength(0);
                }
                parts.add(new Part(next, null));
            } else {
                throw new UsageException("--format \"" + template + "\" has an unknown placeholder %" + next
                        + ". Placeholders: " + PLACEHOLDERS);
            }
        }
        if (literal.length() > 0) {
            parts.add(new Part('L', literal.toString()));
        }
        return new OutputFormat(List.copyOf(parts));
    }

    /** The text printed for a message, line ends included. */
    String format(Message<JsonNode> message) {
        if (parts == null) {
            return Json.line(message) + "\n";
        }
        StringBuilder text = new StringBuilder();
        for (Part part : parts) {
            switch (part.field()) {
                case 'L' -> text.append(part.literal());
                case 't' -> text.append(message.topic());
                case 'p' -> text.append(message.position().encode());
                case 'k' -> text.append(message.shardingKey());
                case 'c' -> text.append(message.logCompactId().orElse(""));
                case 's' -> text.append(Json.write(message.payload()));
                case 'r' -> text.append(message.payload().isTextual() ? message.payload().textValue()
                        : Json.write(message.payload()));
                case 'T' -> text.append(message.createdAt());
                case 'h' -> text.append(headers(message));
                default -> throw new IllegalStateException("unknown part " + part);
            }
        }
        return text.toString();
    }

    private static String headers(Message<JsonNode> message) {
        var node = Json.MAPPER.createObjectNode();
        message.headers().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(header -> node.put(header.getKey(), header.getValue()));
        return Json.write(node);
    }
}
