package io.streamable.client;

import io.streamable.schema.Schema.AnySchema;
import io.streamable.schema.Schema.ArraySchema;
import io.streamable.schema.Schema.EnumSchema;
import io.streamable.schema.Schema.JsonType;
import io.streamable.schema.Schema.MapSchema;
import io.streamable.schema.Schema.ObjectSchema;
import io.streamable.schema.Schema.Property;
import io.streamable.schema.Schema.RefSchema;
import io.streamable.schema.Schema.ScalarSchema;
import io.streamable.schema.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Decides whether a reader schema can read what a writer schema wrote, and says precisely why
 * not. The rules, for JSON decoded by Jackson with unknown properties ignored:
 * <ul>
 *   <li>a property the reader does not know is ignored, so removing a property is fine for the reader;</li>
 *   <li>a property the reader requires must be required by the writer too: a new required property,
 *       or one that was optional, may be missing from the writer's messages;</li>
 *   <li>JSON types must match, except that a number reads an integer, a string reads an enum and
 *       {@code any} reads everything;</li>
 *   <li>an enum reader must know every value the writer may write.</li>
 * </ul>
 */
final class Compatibility {

    /** Why a reader cannot read a writer's data, at one place in the structure. */
    enum Kind { REQUIRED_BUT_MISSING, REQUIRED_BUT_OPTIONAL, TYPE_CHANGED, ENUM_VALUES_UNKNOWN }

    /**
     * One difference.
     *
     * @param path    where, for example {@code lines[].sku}; empty for the payload itself
     * @param kind    what kind of difference
     * @param reader  the reader's side, described
     * @param writer  the writer's side, described
     * @param values  for {@link Kind#ENUM_VALUES_UNKNOWN}: the values the reader lacks
     */
    record Difference(String path, Kind kind, String reader, String writer, List<String> values) {
    }

    private Compatibility() {
    }

    static List<Difference> canRead(Schema reader, Schema writer) {
        List<Difference> out = new ArrayList<>();
        compare(reader, writer, "", out);
        return out;
    }

    private static void compare(Schema reader, Schema writer, String path, List<Difference> out) {
        if (reader instanceof AnySchema || reader.equals(writer)) {
            return;
        }
        if (reader instanceof RefSchema || writer instanceof RefSchema) {
            // a cycle back to an enclosing type: that type is compared where it was first met
            if (reader instanceof RefSchema r && writer instanceof RefSchema w && !r.name().equals(w.name())) {
                out.add(new Difference(path, Kind.TYPE_CHANGED, reader.describe(), writer.describe(), List.of()));
            }
            return;
        }
        if (reader instanceof ObjectSchema r && writer instanceof ObjectSchema w) {
            compareObjects(r, w, path, out);
        } else if (reader instanceof ArraySchema r && writer instanceof ArraySchema w) {
            compare(r.items(), w.items(), path + "[]", out);
        } else if (reader instanceof MapSchema r && writer instanceof MapSchema w) {
            compare(r.values(), w.values(), path + "{}", out);
        } else if (reader instanceof EnumSchema r && writer instanceof EnumSchema w) {
            TreeSet<String> unknown = new TreeSet<>(w.values());
            unknown.removeAll(r.values());
            if (!unknown.isEmpty()) {
                out.add(new Difference(path, Kind.ENUM_VALUES_UNKNOWN, reader.describe(), writer.describe(),
                        List.copyOf(unknown)));
            }
        } else if (reader instanceof ScalarSchema r && r.json() == JsonType.STRING && writer instanceof EnumSchema) {
            return; // a string reads any enum value
        } else if (reader instanceof ScalarSchema r && writer instanceof ScalarSchema w
                && r.json() == JsonType.NUMBER && w.json() == JsonType.INTEGER) {
            return; // a number reads an integer
        } else {
            out.add(new Difference(path, Kind.TYPE_CHANGED, reader.describe(), writer.describe(), List.of()));
        }
    }

    private static void compareObjects(ObjectSchema reader, ObjectSchema writer, String path, List<Difference> out) {
        for (Map.Entry<String, Property> entry : reader.properties().entrySet()) {
            String name = entry.getKey();
            Property mine = entry.getValue();
            Property theirs = writer.properties().get(name);
            String at = path.isEmpty() ? name : path + "." + name;
            if (theirs == null) {
                if (mine.required()) {
                    out.add(new Difference(at, Kind.REQUIRED_BUT_MISSING, mine.schema().describe(), "absent", List.of()));
                }
                continue;
            }
            if (mine.required() && !theirs.required()) {
                out.add(new Difference(at, Kind.REQUIRED_BUT_OPTIONAL, mine.schema().describe(),
                        theirs.schema().describe(), List.of()));
            }
            compare(mine.schema(), theirs.schema(), at, out);
        }
    }
}
