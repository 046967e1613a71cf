package dev.olla.profile;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import dev.olla.config.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The built-in profiles' YAML, parsed at build time into one JSON file ({@value #RESOURCE} next to
 * them: {@code {"file.yaml": {"crc": CRC-32 of the YAML text, "tree": the parsed tree}}}, written
 * by {@link #main} in Maven's process-classes phase). At start-up a tree is taken from it only when
 * its CRC matches the YAML resource read now, so an edited profile is never served stale: parsing
 * the 12 profiles with snakeyaml was ~35% of the main thread's work before the first answer (and
 * much of the JIT's), reading the JSON a fraction of that.
 */
final class BuiltInTrees {
    static final String RESOURCE = "builtin-trees.json";
    private static final JsonFactory JSON = new JsonFactory();

    private BuiltInTrees() {}

    /** CRC-32 of a profile's YAML text. */
    static long crc(String yaml) {
        CRC32 c = new CRC32();
        c.update(yaml.getBytes(StandardCharsets.UTF_8));
        return c.getValue();
    }

    /** The pre-parsed trees by file name with their CRCs; empty when the resource is missing or unreadable. */
    static Map<String, Map.Entry<Long, JsonNode>> load() {
        Map<String, Map.Entry<Long, JsonNode>> out = new HashMap<>();
        try (InputStream in = BuiltInTrees.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return out;
            }
            JsonNode all;
            try (JsonParser p = JSON.createParser(in)) {
                all = Trees.read(p);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode crc = e.getValue().get("crc");
                JsonNode tree = e.getValue().get("tree");
                if (crc != null && crc.canConvertToLong() && tree != null) {
                    out.put(e.getKey(), Map.entry(crc.asLong(), tree));
                }
            }
        } catch (IOException | RuntimeException e) {
            out.clear(); // the YAML is parsed instead
        }
        return out;
    }

    /** Writes {@value #RESOURCE} into {@code args[0]/dev/olla/profile/} (the build's classes directory). */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0], "dev", "olla", "profile", RESOURCE);
        Map<String, JsonNode> trees = new LinkedHashMap<>();
        Map<String, Long> crcs = new HashMap<>();
        for (String file : ProfileRegistry.builtInFiles()) {
            String yaml = ProfileRegistry.builtInYaml(file);
            trees.put(file, ProfileYamlReader.tree("built-in " + file, yaml, new HashMap<>()));
            crcs.put(file, crc(yaml));
        }
        Files.createDirectories(out.getParent());
        try (OutputStream os = Files.newOutputStream(out); JsonGenerator g = JSON.createGenerator(os)) {
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> e : trees.entrySet()) {
                g.writeObjectFieldStart(e.getKey());
                g.writeNumberField("crc", crcs.get(e.getKey()));
                g.writeFieldName("tree");
                write(g, e.getValue());
                g.writeEndObject();
            }
            g.writeEndObject();
        }
    }

    /** A tree as JSON, every node type as {@link Trees#read} gives it back. */
    static void write(JsonGenerator g, JsonNode n) throws IOException {
        switch (n.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    g.writeFieldName(e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode e : n) {
                    write(g, e);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(n.textValue());
            case NUMBER -> {
                if (n.isInt()) {
                    g.writeNumber(n.intValue());
                } else if (n.isLong()) {
                    g.writeNumber(n.longValue());
                } else if (n.isBigInteger()) {
                    g.writeNumber(n.bigIntegerValue());
                } else if (n.isBigDecimal()) {
                    g.writeNumber(n.decimalValue());
                } else {
                    g.writeNumber(n.doubleValue());
                }
            }
            case BOOLEAN -> g.writeBoolean(n.booleanValue());
            case NULL -> g.writeNull();
            default -> throw new IOException("cannot pre-parse a " + n.getNodeType() + " node");
        }
    }
}
