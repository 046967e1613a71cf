package dev.olla.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** YAML text to Jackson trees, with clear one-line errors; the embedded defaults; deep merge. */
final class YamlTrees {

    static final String DEFAULTS_RESOURCE = "defaults.yaml";
    /** Top-level key of defaults.yaml holding the per-endpoint defaults (not a configuration key). */
    static final String ENDPOINT_DEFAULTS_KEY = "endpoint_defaults";

    /** A factory, not an ObjectMapper: {@link Trees} builds the tree (see there why). */
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // YAML 1.2 / Go yaml.v3 style: only true/false are booleans; "yes", "on" stay text.
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
            .build();
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'");

    private static volatile ObjectNode defaults;

    private YamlTrees() {}

    /**
     * Parses YAML text. An empty document is an empty mapping.
     *
     * @throws ConfigException one problem naming {@code source}, line and column
     */
    static JsonNode read(String text, String source) throws ConfigException {
        rejectAliases(text, source);
        try (JsonParser p = YAML.createParser(text)) {
            JsonNode node = Trees.read(p);
            return node == null || node.isMissingNode() || node.isNull() ? JsonNodeFactory.instance.objectNode() : node;
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, describe(e, source));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(source, source + ": cannot parse YAML: " + e.getMessage());
        }
    }

    /**
     * Jackson reads an alias ({@code *name}) as the text {@code "name"}, which would silently give a wrong
     * value; walk the tokens first and refuse aliases with their position. Also surfaces syntax errors.
     */
    private static void rejectAliases(String text, String source) throws ConfigException {
        try (JsonParser p = YAML.createParser(text)) {
            while (p.nextToken() != null) {
                if (p instanceof YAMLParser y && y.isCurrentAlias()) {
                    JsonLocation loc = p.currentTokenLocation();
                    throw new ConfigException(source, source + ": line " + loc.getLineNr() + ", column "
                            + loc.getColumnNr() + ": YAML aliases (*" + p.getText()
                            + ") are not supported; repeat the value instead");
                }
            }
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, describe(e, source));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(source, source + ": cannot parse YAML: " + e.getMessage());
        }
    }

    private static String describe(JsonProcessingException e, String source) {
        Matcher dup = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
        JsonLocation loc = e.getLocation();
        String where = loc == null ? "" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
        if (dup.find()) {
            String key = dup.group(1);
            String path = null;
            if (e.getProcessor() instanceof JsonParser p) {
                path = dottedPath(p.getParsingContext());
            }
            String line = loc == null ? "" : "line " + loc.getLineNr() + ": ";
            return source + ": " + line + "duplicate key \"" + key + "\" in the same mapping"
                    + (path != null && !path.equals(key) ? " (" + path + ")" : "");
        }
        Throwable cause = e.getCause();
        if (cause instanceof MarkedYAMLException m) {
            Mark mark = m.getProblemMark() != null ? m.getProblemMark() : m.getContextMark();
            StringBuilder sb = new StringBuilder(source).append(": ");
            if (mark != null) {
                sb.append("line ").append(mark.getLine() + 1).append(", column ").append(mark.getColumn() + 1).append(": ");
            } else {
                sb.append(where);
            }
            sb.append(firstLine(m.getProblem() != null ? m.getProblem() : m.getContext()));
            if (m.getContext() != null && m.getProblem() != null) {
                sb.append(" (").append(firstLine(m.getContext()));
                if (m.getContextMark() != null) {
                    sb.append(" started at line ").append(m.getContextMark().getLine() + 1)
                            .append(", column ").append(m.getContextMark().getColumn() + 1);
                }
                sb.append(')');
            }
            return sb.toString();
        }
        String message = firstLine(String.valueOf(e.getOriginalMessage()));
        if (message.startsWith("Expected a field name")) {
            message = "a mapping key must be a plain value, not a mapping or a list";
        }
        return source + ": " + where + message;
    }

    private static String dottedPath(JsonStreamContext ctx) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.push("[" + c.getCurrentIndex() + "]");
            } else if (c.getCurrentName() != null) {
                parts.push(c.getCurrentName());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String part : parts) {
            if (sb.length() > 0 && !part.startsWith("[")) {
                sb.append('.');
            }
            sb.append(part);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid YAML";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }

    /** A fresh copy of the embedded defaults tree (including {@value #ENDPOINT_DEFAULTS_KEY}). */
    static ObjectNode defaults() {
        ObjectNode d = defaults;
        if (d == null) {
            try (InputStream in = YamlTrees.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("embedded " + DEFAULTS_RESOURCE + " is missing from the build");
                }
                JsonNode node = read(new String(in.readAllBytes(), StandardCharsets.UTF_8), "embedded " + DEFAULTS_RESOURCE);
                d = (ObjectNode) node;
                defaults = d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ConfigException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
        return d.deepCopy();
    }

    /**
     * Deep-merges {@code overlay} onto {@code base} (modifying and returning {@code base}): mappings merge
     * key by key, lists and scalars replace. A null or empty value in the overlay ({@code key:} with
     * nothing after it) keeps the base value, as Go's YAML decoder leaves the default in place.
     */
    static JsonNode merge(JsonNode base, JsonNode overlay) {
        if (overlay == null || overlay.isNull() || overlay.isMissingNode() || isEmptyText(overlay) && !TreeBinder.absent(base)) {
            return base;
        }
        if (base instanceof ObjectNode baseObject && overlay.isObject()) {
            for (Map.Entry<String, JsonNode> field : overlay.properties()) {
                JsonNode existing = baseObject.get(field.getKey());
                baseObject.set(field.getKey(), merge(existing, field.getValue()));
            }
            return baseObject;
        }
        return overlay.deepCopy();
    }

    private static boolean isEmptyText(JsonNode node) {
        return node.isTextual() && node.asText().isEmpty();
    }

    /** Top-level key of defaults.yaml holding per-auth-type defaults (not a configuration key). */
    static final String AUTH_DEFAULTS_KEY = "endpoint_auth_defaults";

    /** Applies the endpoint defaults under every mapping entry of {@code endpoints}. */
    static void applyEndpointDefaults(JsonNode endpoints, JsonNode template) {
        if (!(endpoints instanceof ArrayNode list) || template == null || !template.isObject()) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            JsonNode entry = list.get(i);
            if (entry.isObject()) {
                list.set(i, merge(template.deepCopy(), entry));
            }
        }
    }

    /** Applies per-type auth defaults (e.g. api_key header) under each endpoint's auth mapping. */
    static void applyAuthDefaults(JsonNode endpoints, JsonNode authDefaults) {
        if (!(endpoints instanceof ArrayNode list) || authDefaults == null || !authDefaults.isObject()) {
            return;
        }
        for (JsonNode entry : list) {
            JsonNode auth = entry.get("auth");
            if (entry instanceof ObjectNode endpoint && auth != null && auth.isObject() && auth.path("type").isTextual()) {
                JsonNode typeDefaults = authDefaults.get(auth.get("type").asText().strip().toLowerCase(java.util.Locale.ROOT));
                if (typeDefaults != null && typeDefaults.isObject()) {
                    endpoint.set("auth", merge(typeDefaults.deepCopy(), auth));
                }
            }
        }
    }
}
