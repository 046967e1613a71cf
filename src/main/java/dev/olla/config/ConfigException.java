package dev.olla.config;

import java.util.List;

/**
 * The configuration cannot be used. {@link #problems()} holds one human-readable line per problem
 * (each naming the key, the bad value and what is allowed); {@link #getMessage()} joins them.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final List<String> problems;
    private final List<String> warnings;

    public ConfigException(String source, List<String> problems, List<String> warnings) {
        super(message(source, problems));
        this.source = source;
        this.problems = List.copyOf(problems);
        this.warnings = List.copyOf(warnings);
    }

    public ConfigException(String source, String problem) {
        this(source, List.of(problem), List.of());
    }

    /** Path of the file that was being loaded, or {@code "embedded defaults"}; may be null if unknown. */
    public String source() {
        return source;
    }

    /** One line per problem, never empty. */
    public List<String> problems() {
        return problems;
    }

    /** Warnings collected before the load failed (unknown keys etc.); may be empty. */
    public List<String> warnings() {
        return warnings;
    }

    private static String message(String source, List<String> problems) {
        StringBuilder sb = new StringBuilder("invalid configuration");
        if (source != null && problems.stream().noneMatch(p -> p.contains(source))) {
            sb.append(" (").append(source).append(')');
        }
        if (problems.size() == 1) {
            return sb.append(": ").append(problems.get(0)).toString();
        }
        sb.append(": ").append(problems.size()).append(" problems");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
