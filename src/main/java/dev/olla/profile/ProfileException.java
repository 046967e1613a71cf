package dev.olla.profile;

/**
 * A profile file that cannot be used: names the file and, for YAML problems, the line and column
 * ({@code profiles/foo.yaml: line 4, column 3: ...}); for a missing required field, the field.
 */
public final class ProfileException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int column;

    /** A problem with a position (1-based line and column; 0 = unknown). */
    public ProfileException(String file, int line, int column, String problem) {
        super(format(file, line, column, problem));
        this.file = file;
        this.line = line;
        this.column = column;
    }

    /** A problem without a position (missing field, unreadable file, ...). */
    public ProfileException(String file, String problem) {
        this(file, 0, 0, problem);
    }

    public String file() {
        return file;
    }

    /** 1-based line of the problem, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column of the problem, or 0 when unknown. */
    public int column() {
        return column;
    }

    private static String format(String file, int line, int column, String problem) {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(": line ").append(line);
            if (column > 0) {
                sb.append(", column ").append(column);
            }
        }
        return sb.append(": ").append(problem).toString();
    }
}
