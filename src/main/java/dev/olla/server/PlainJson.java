package dev.olla.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.NumericNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Writes plain values (maps with text keys, lists, text, numbers, booleans, null, Jackson trees) as
 * JSON with a bare generator, as {@link Json}'s mapper would write them (null map values left out,
 * null list items written), so that answering with such a value never creates the mapper.
 */
final class PlainJson {
    private PlainJson() {}

    /** Whether {@link #write} can write {@code v} (checked before writing anything). */
    static boolean plain(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
                || v instanceof Short || v instanceof Byte || v instanceof Double || v instanceof Float
                || v instanceof BigDecimal || v instanceof BigInteger) {
            return true;
        }
        if (v instanceof JsonNode n) {
            return plainNode(n);
        }
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String) || !plain(e.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (v instanceof List<?> l) {
            for (Object o : l) {
                if (!plain(o)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean plainNode(JsonNode n) {
        if (n.isContainerNode()) {
            for (JsonNode c : n) {
                if (!plainNode(c)) {
                    return false;
                }
            }
            return true;
        }
        return n.isValueNode() && !n.isPojo();
    }

    static byte[] write(JsonFactory factory, Object v) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(256);
        try (JsonGenerator g = factory.createGenerator(out)) {
            value(g, v);
        }
        return out.toByteArray();
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case Short s -> g.writeNumber(s);
            case Byte b -> g.writeNumber(b);
            case Double d -> g.writeNumber(d);
            case Float f -> g.writeNumber(f);
            case BigDecimal d -> g.writeNumber(d);
            case BigInteger i -> g.writeNumber(i);
            case JsonNode n -> node(g, n);
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (e.getValue() != null) {
                        g.writeFieldName((String) e.getKey());
                        value(g, e.getValue());
                    }
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                g.writeStartArray();
                for (Object o : l) {
                    value(g, o);
                }
                g.writeEndArray();
            }
            default -> throw new IllegalArgumentException("not a plain JSON value: " + v.getClass().getName());
        }
    }

    private static void node(JsonGenerator g, JsonNode n) throws IOException {
        switch (n.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    g.writeFieldName(e.getKey());
                    node(g, e.getValue());
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode c : n) {
                    node(g, c);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(n.textValue());
            case BOOLEAN -> g.writeBoolean(n.booleanValue());
            case NUMBER -> value(g, ((NumericNode) n).numberValue());
            case BINARY -> g.writeBinary(((BinaryNode) n).binaryValue());
            default -> g.writeNull(); // NULL (MISSING is not a value node: the mapper writes it)
        }
    }
}
