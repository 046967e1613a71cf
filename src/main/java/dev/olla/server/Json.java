package dev.olla.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.olla.config.Trees;
import java.io.IOException;
import java.io.InputStream;

/**
 * JSON for Olla: trees read straight from the parser ({@link Trees}: no ObjectMapper, whose first
 * creation loads ~525 classes that then stay resident), and the mapper for bodies Olla writes itself
 * (compact, nulls omitted, no failures on empty beans), created on first use: a proxy that only
 * relays never creates it.
 */
public final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {}

    /** The mapper for Olla's own JSON bodies (created on first use). */
    public static ObjectMapper mapper() {
        return Mapper.MAPPER;
    }

    /**
     * {@code value} as compact JSON, nulls omitted from maps and objects. Plain values (maps with text
     * keys, lists, text, numbers, booleans, Jackson trees) are written by the generator directly,
     * byte for byte as the mapper writes them; anything else (records, beans) by the mapper.
     */
    public static byte[] bytes(Object value) {
        try {
            if (PlainJson.plain(value)) {
                return PlainJson.write(FACTORY, value);
            }
            return Mapper.MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code len} bytes of UTF-8 JSON as a tree (as {@code ObjectMapper.readTree}: MissingNode when empty). */
    public static JsonNode tree(byte[] bytes, int off, int len) throws IOException {
        try (JsonParser p = FACTORY.createParser(bytes, off, len)) {
            return Trees.read(p);
        }
    }

    public static JsonNode tree(byte[] bytes) throws IOException {
        return tree(bytes, 0, bytes.length);
    }

    public static JsonNode tree(String text) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            return Trees.read(p);
        }
    }

    public static JsonNode tree(InputStream in) throws IOException {
        try (JsonParser p = FACTORY.createParser(in)) {
            return Trees.read(p);
        }
    }

    /**
     * The text of a JSON string literal (the quotes included), escapes resolved.
     *
     * @throws IOException when {@code literal} does not start with a valid JSON string
     */
    public static String string(String literal) throws IOException {
        try (JsonParser p = FACTORY.createParser(literal)) {
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new JsonParseException(p, "not a JSON string");
            }
            return p.getText();
        }
    }

    /** Holder: the mapper is built when first needed, not when this class is first used. */
    private static final class Mapper {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }
}
