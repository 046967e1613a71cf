package dev.olla.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;

/**
 * Jackson trees straight from a parser (JSON or YAML), without an {@code ObjectMapper}: creating the
 * first mapper loads ~525 classes (Jackson's databind machinery and the JDK classes it uses) that
 * stay resident for the life of the process, and Olla only needs the tree. Gives the same tree as
 * {@code ObjectMapper.readTree} with default settings: ints as int/long/big-integer nodes, floats as
 * double nodes, a later duplicate key replacing an earlier one (unless the parser rejects
 * duplicates), {@link MissingNode} for no content, anything after the first value ignored.
 */
public final class Trees {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Trees() {}

    /** The next value of {@code p} as a tree; {@link MissingNode} when there is none. */
    public static JsonNode read(JsonParser p) throws IOException {
        return read(p, null);
    }

    /**
     * Like {@link #read(JsonParser)}, and records in {@code where} where each value starts, by its
     * path: {@code ""} for the root, {@code a.b} for key b of mapping a, {@code a[0]} for a list item.
     */
    public static JsonNode read(JsonParser p, Map<String, JsonLocation> where) throws IOException {
        JsonToken t = p.nextToken();
        return t == null ? MissingNode.getInstance() : value(p, t, where, "");
    }

    /** The path of key {@code key} under {@code path}, as {@link #read(JsonParser, Map)} records it. */
    public static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static JsonNode value(JsonParser p, JsonToken t, Map<String, JsonLocation> where, String path)
            throws IOException {
        if (where != null) {
            where.put(path, p.currentTokenLocation());
        }
        return switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k == JsonToken.FIELD_NAME; k = p.nextToken()) {
                    String name = p.currentName();
                    o.set(name, value(p, p.nextToken(), where, where == null ? null : child(path, name)));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(value(p, e, where, where == null ? null : path + "[" + a.size() + "]"));
                }
                yield a;
            }
            case VALUE_STRING -> NODES.textNode(p.getText());
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case INT -> NODES.numberNode(p.getIntValue());
                case LONG -> NODES.numberNode(p.getLongValue());
                default -> NODES.numberNode(p.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> p.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
                    ? NODES.numberNode(p.getDecimalValue()) : NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_EMBEDDED_OBJECT -> p.getEmbeddedObject() instanceof byte[] b ? NODES.binaryNode(b)
                    : NODES.pojoNode(p.getEmbeddedObject());
            default -> NODES.nullNode(); // VALUE_NULL
        };
    }
}
