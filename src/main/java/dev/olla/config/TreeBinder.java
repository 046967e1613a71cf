package dev.olla.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Binds a merged Jackson tree onto the {@link OllaConfig} records by reflection: snake_case keys,
 * Go durations, lower-case/kebab enums. Every type error is collected in {@link Problems} with its key
 * path instead of stopping at the first one. Also finds keys that map to no record component.
 */
final class TreeBinder {

    private static final Set<String> TRUE_WORDS = Set.of("true", "yes", "on", "y", "t", "1");
    private static final Set<String> FALSE_WORDS = Set.of("false", "no", "off", "n", "f", "0");

    private final Problems problems;

    TreeBinder(Problems problems) {
        this.problems = problems;
    }

    /**
     * YAML key of a record component: snake_case of its name ({@code consecutive5xx} ->
     * {@code consecutive_5xx}: a digit after a letter starts a word); {@code staticConfig} is {@code static}.
     */
    static String yamlName(RecordComponent component) {
        String name = component.getName();
        if (name.equals("staticConfig")) {
            return "static";
        }
        StringBuilder sb = new StringBuilder();
        char prev = 0;
        for (char c : name.toCharArray()) {
            boolean digitAfterLetter = Character.isDigit(c) && Character.isLetter(prev);
            prev = c;
            if (digitAfterLetter) {
                sb.append('_').append(c);
            } else if (Character.isUpperCase(c)) {
                sb.append('_').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Renders a node's value for a message: text in quotes, numbers and booleans bare. */
    static String show(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "null";
        }
        if (node.isTextual()) {
            return quote(node.asText());
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        return node.asText(); // numbers and booleans as written; toString() would create an ObjectMapper
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static boolean absent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }

    // ------------------------------------------------------------------ unknown keys

    /** Adds a warning {@code unknown key a.b.c (ignored)} for each key of {@code node} that maps to nothing. */
    void checkUnknown(JsonNode node, Type type, String path) {
        if (absent(node)) {
            return;
        }
        Class<?> raw = rawClass(type);
        if (raw.isRecord() && node.isObject()) {
            Map<String, RecordComponent> components = new LinkedHashMap<>();
            for (RecordComponent c : raw.getRecordComponents()) {
                components.put(yamlName(c), c);
            }
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                RecordComponent c = components.get(field.getKey());
                String childPath = child(path, field.getKey());
                if (c == null) {
                    problems.warnLine("unknown key " + childPath + " (ignored)");
                } else {
                    checkUnknown(field.getValue(), c.getGenericType(), childPath);
                }
            }
        } else if (List.class.isAssignableFrom(raw) && node.isArray()) {
            Type element = typeArgument(type, 0);
            for (int i = 0; i < node.size(); i++) {
                checkUnknown(node.get(i), element, path + "[" + i + "]");
            }
        }
    }

    // ------------------------------------------------------------------ binding

    @SuppressWarnings({"unchecked", "rawtypes"})
    Object bind(JsonNode node, Type type, String path) {
        Class<?> raw = rawClass(type);
        if (raw.isRecord()) {
            return bindRecord(node, raw, path);
        }
        if (raw == String.class) {
            if (absent(node)) {
                return null;
            }
            if (node.isContainerNode()) {
                problems.error(path, "expected a text value, got " + show(node));
                return null;
            }
            return node.asText();
        }
        if (raw == int.class || raw == Integer.class) {
            Long v = integer(node, path, Integer.MIN_VALUE, Integer.MAX_VALUE);
            return v == null ? null : v.intValue();
        }
        if (raw == long.class || raw == Long.class) {
            return integer(node, path, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return bool(node, path);
        }
        if (raw == Duration.class) {
            return duration(node, path);
        }
        if (raw.isEnum()) {
            if (absent(node)) {
                problems.error(path, "a value is required (one of " + ConfigEnums.allowed((Class) raw) + ")");
                return null;
            }
            if (node.isContainerNode()) {
                problems.error(path, "expected one of " + ConfigEnums.allowed((Class) raw) + ", got " + show(node));
                return null;
            }
            try {
                return ConfigEnums.parse((Class) raw, node.asText());
            } catch (IllegalArgumentException e) {
                problems.error(path, e.getMessage());
                return null;
            }
        }
        if (List.class.isAssignableFrom(raw)) {
            return bindList(node, typeArgument(type, 0), path);
        }
        if (Map.class.isAssignableFrom(raw)) {
            return bindMap(node, typeArgument(type, 1), path);
        }
        throw new IllegalStateException("unsupported configuration type " + type + " at " + path);
    }

    private Object bindRecord(JsonNode node, Class<?> raw, String path) {
        if (absent(node)) {
            return null;
        }
        if (!node.isObject()) {
            problems.error(path.isEmpty() ? "(top level)" : path, "expected a mapping, got " + show(node));
            return null;
        }
        RecordComponent[] components = raw.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            String key = yamlName(c);
            Object value = bind(node.get(key), c.getGenericType(), child(path, key));
            if (value == null && c.getType().isPrimitive()) {
                value = zero(c.getType());
            }
            args[i] = value;
        }
        try {
            Constructor<?> ctor = raw.getDeclaredConstructor(types);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            problems.error(path, "invalid value: " + e.getCause().getMessage());
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + raw.getName(), e);
        }
    }

    private List<Object> bindList(JsonNode node, Type element, String path) {
        if (absent(node)) {
            return List.of();
        }
        if (!node.isArray()) {
            problems.error(path, "expected a list, got " + show(node));
            return List.of();
        }
        List<Object> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            String elementPath = path + "[" + i + "]";
            JsonNode item = node.get(i);
            if (absent(item)) {
                problems.error(elementPath, "empty entry");
                continue;
            }
            Object value = bind(item, element, elementPath);
            // Record entries keep their position (null when unusable) so messages can cite the original
            // index; the validator drops them. Other failed entries are simply left out.
            if (value != null || rawClass(element).isRecord()) {
                out.add(value);
            }
        }
        return Collections.unmodifiableList(out);
    }

    private Map<String, Object> bindMap(JsonNode node, Type valueType, String path) {
        if (absent(node)) {
            return Map.of();
        }
        if (!node.isObject()) {
            problems.error(path, "expected a mapping, got " + show(node));
            return Map.of();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String entryPath = path + "[" + quote(field.getKey()) + "]";
            JsonNode value = field.getValue();
            Object bound;
            boolean empty = absent(value) || value.isTextual() && value.asText().isEmpty() && rawClass(valueType) != String.class;
            if (empty) {
                bound = rawClass(valueType) == String.class ? "" : List.class.isAssignableFrom(rawClass(valueType))
                        ? List.of() : null;
            } else {
                bound = bind(value, valueType, entryPath);
            }
            if (bound != null) {
                out.put(field.getKey(), bound);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private Long integer(JsonNode node, String path, long min, long max) {
        if (absent(node)) {
            problems.error(path, "a value is required");
            return null;
        }
        Long value = null;
        if (node.isIntegralNumber()) {
            if (node.canConvertToLong()) {
                value = node.longValue();
            } else {
                problems.error(path, show(node) + " is out of range");
                return null;
            }
        } else if (node.isFloatingPointNumber()) {
            BigDecimal d = node.decimalValue();
            try {
                value = d.stripTrailingZeros().longValueExact();
            } catch (ArithmeticException e) {
                value = null;
            }
        } else if (node.isTextual()) {
            try {
                value = Long.parseLong(node.asText().strip());
            } catch (NumberFormatException e) {
                value = null;
            }
        }
        if (value == null) {
            problems.error(path, show(node) + " is not an integer");
            return null;
        }
        if (value < min || value > max) {
            problems.error(path, show(node) + " is out of range");
            return null;
        }
        return value;
    }

    private Boolean bool(JsonNode node, String path) {
        if (absent(node)) {
            problems.error(path, "a value is required (true or false)");
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual() || node.isIntegralNumber()) {
            String word = node.asText().strip().toLowerCase(Locale.ROOT);
            if (TRUE_WORDS.contains(word)) {
                return true;
            }
            if (FALSE_WORDS.contains(word)) {
                return false;
            }
        }
        problems.error(path, show(node) + " is not a boolean (use true or false)");
        return null;
    }

    private Duration duration(JsonNode node, String path) {
        if (absent(node)) {
            problems.error(path, "a value is required (" + GoDuration.SYNTAX_HINT + ")");
            return null;
        }
        if (node.isNumber()) {
            if (node.getNodeType() == JsonNodeType.NUMBER && node.decimalValue().signum() == 0) {
                return Duration.ZERO;
            }
            problems.error(path, show(node) + " is not a duration: a unit is required (" + GoDuration.SYNTAX_HINT + ")");
            return null;
        }
        if (node.isTextual()) {
            try {
                return GoDuration.parse(node.asText());
            } catch (IllegalArgumentException e) {
                String hint = e.getMessage().startsWith("missing unit") ? ": a unit is required (" : " (";
                problems.error(path, show(node) + " is not a duration" + hint + GoDuration.SYNTAX_HINT + ")");
                return null;
            }
        }
        problems.error(path, show(node) + " is not a duration (" + GoDuration.SYNTAX_HINT + ")");
        return null;
    }

    private static Object zero(Class<?> primitive) {
        if (primitive == boolean.class) {
            return false;
        }
        if (primitive == long.class) {
            return 0L;
        }
        return 0;
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalStateException("unsupported type " + type);
    }

    private static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[index];
        }
        return String.class;
    }
}
