package dev.olla.profile;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.olla.config.Trees;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Profile files: YAML text to a tree, and a tree to {@link ProfileYaml}, with "file: line L, column
 * C: problem" errors. Binds by reflection over the records with the rules Jackson's data binding
 * applied here before (snake_case keys, unknown keys ignored, a single value where a list is expected
 * is a list of one, text that spells a number or boolean accepted), but without an ObjectMapper: its
 * creation and bean binding loaded ~700 classes at start-up that stayed resident.
 */
final class ProfileYamlReader {
    /** YAML 1.1 like the original's profiles ({@code yes}/{@code no} are booleans); duplicate keys rejected. */
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ProfileYamlReader() {}

    /** The YAML document as a tree ({@code MissingNode} when empty); where each value starts goes into {@code where}. */
    static JsonNode tree(String file, String text, Map<String, JsonLocation> where) throws ProfileException {
        try (JsonParser p = YAML.createParser(text)) {
            return Trees.read(p, where);
        } catch (JacksonException e) {
            throw error(file, e);
        } catch (IOException e) {
            throw new ProfileException(file, "cannot read: " + e.getMessage());
        }
    }

    /** Binds {@code tree} onto {@link ProfileYaml}; a wrongly typed value is an error at its position in {@code where}. */
    static ProfileYaml bind(String file, JsonNode tree, Map<String, JsonLocation> where) throws ProfileException {
        try {
            return (ProfileYaml) value(tree, ProfileYaml.class, "");
        } catch (Mismatch m) {
            JsonLocation at = where.get(m.path);
            String problem = (m.path.isEmpty() ? "" : m.path + ": ") + m.problem;
            if (at == null || at.getLineNr() <= 0) {
                throw new ProfileException(file, "invalid profile: " + problem);
            }
            throw new ProfileException(file, at.getLineNr(), Math.max(at.getColumnNr(), 0), problem);
        }
    }

    /** A value that does not fit its field: the field's path and what was expected. */
    private static final class Mismatch extends Exception {
        final String path;
        final String problem;

        Mismatch(String path, String problem) {
            super(problem, null, false, false);
            this.path = path;
            this.problem = problem;
        }
    }

    private static Object value(JsonNode n, Type type, String path) throws Mismatch {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        Class<?> raw = raw(type);
        if (raw == String.class) {
            if (n.isContainerNode()) {
                throw new Mismatch(path, "expected " + describe(raw));
            }
            return n.asText();
        }
        if (raw == Integer.class || raw == Long.class) {
            return number(n, raw, path);
        }
        if (raw == Boolean.class) {
            if (n.isBoolean()) {
                return n.booleanValue();
            }
            if (n.isTextual() && (n.textValue().equalsIgnoreCase("true") || n.textValue().equalsIgnoreCase("false"))) {
                return Boolean.parseBoolean(n.textValue());
            }
            if (n.isTextual() && n.textValue().isEmpty()) {
                return null;
            }
            throw mismatch(n, raw, path);
        }
        if (List.class.isAssignableFrom(raw)) {
            Type element = argument(type, 0);
            List<Object> out = new ArrayList<>();
            if (n.isArray()) {
                for (int i = 0; i < n.size(); i++) {
                    out.add(value(n.get(i), element, path + "[" + i + "]"));
                }
            } else if (n.isObject()) {
                throw new Mismatch(path, "expected " + describe(raw));
            } else {
                out.add(value(n, element, path)); // a single value is a list of one
            }
            return out;
        }
        if (Map.class.isAssignableFrom(raw)) {
            if (!n.isObject()) {
                throw new Mismatch(path, "expected " + describe(raw));
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                out.put(e.getKey(), value(e.getValue(), argument(type, 1), Trees.child(path, e.getKey())));
            }
            return out;
        }
        if (raw.isRecord()) {
            if (!n.isObject()) {
                throw new Mismatch(path, "expected " + describe(raw));
            }
            RecordComponent[] components = raw.getRecordComponents();
            Object[] args = new Object[components.length];
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                String key = snakeCase(components[i].getName());
                types[i] = components[i].getType();
                args[i] = value(n.get(key), components[i].getGenericType(), Trees.child(path, key));
            }
            try {
                Constructor<?> c = raw.getDeclaredConstructor(types);
                c.setAccessible(true);
                return c.newInstance(args);
            } catch (NoSuchMethodException | InstantiationException | IllegalAccessException
                    | InvocationTargetException e) {
                throw new IllegalStateException("cannot build " + raw.getSimpleName(), e);
            }
        }
        throw new IllegalStateException("no binding for " + type);
    }

    private static Object number(JsonNode n, Class<?> raw, String path) throws Mismatch {
        if (n.isIntegralNumber() || n.isFloatingPointNumber()) {
            boolean fits = raw == Long.class ? n.canConvertToLong() : n.canConvertToInt();
            if (!fits) {
                throw new Mismatch(path, n.asText() + " is out of range");
            }
            return raw == Long.class ? (Object) n.asLong() : (Object) n.asInt();
        }
        if (n.isTextual()) {
            String t = n.textValue().strip();
            if (t.isEmpty()) {
                return null;
            }
            try {
                return raw == Long.class ? (Object) Long.parseLong(t) : (Object) Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw mismatch(n, raw, path);
            }
        }
        throw mismatch(n, raw, path);
    }

    private static Mismatch mismatch(JsonNode n, Class<?> raw, String path) {
        return n.isTextual() ? new Mismatch(path, "\"" + n.textValue() + "\" is not " + describe(raw))
                : new Mismatch(path, "expected " + describe(raw));
    }

    /** {@code displayName} -> {@code display_name}. */
    private static String snakeCase(String name) {
        StringBuilder sb = new StringBuilder(name.length() + 4);
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('_').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Class<?> raw(Type type) {
        return type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
    }

    private static Type argument(Type type, int index) {
        return type instanceof ParameterizedType p ? p.getActualTypeArguments()[index] : String.class;
    }

    static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a single value";
        }
        if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "a mapping";
    }

    /** A YAML syntax or duplicate-key failure as "file: line L, column C: problem". */
    static ProfileException error(String file, JacksonException e) {
        int line = 0;
        int column = 0;
        String problem;
        if (e.getCause() instanceof MarkedYAMLException m) {
            Mark mark = m.getProblemMark() != null ? m.getProblemMark() : m.getContextMark();
            if (mark != null) {
                line = mark.getLine() + 1;
                column = mark.getColumn() + 1;
            }
            String context = m.getContext();
            problem = (context == null ? "" : oneLine(context) + ": ") + oneLine(String.valueOf(m.getProblem()));
        } else {
            problem = oneLine(e.getOriginalMessage());
        }
        if (line == 0) {
            JsonLocation loc = e.getLocation();
            if (loc != null && loc.getLineNr() > 0) {
                line = loc.getLineNr();
                column = Math.max(loc.getColumnNr(), 0);
            }
        }
        return new ProfileException(file, line, column, problem);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
