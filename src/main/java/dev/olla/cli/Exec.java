package dev.olla.cli;

import java.util.List;
import java.util.Map;

/**
 * Replaces the running process ({@code execve}). Java 21 cannot call it without preview features,
 * so this version does nothing; the Java 22+ version of this class (multi-release jar,
 * {@code src/main/java22}) calls it through the foreign function API.
 */
final class Exec {
    private Exec() {}

    /** Returns only when the process could not be replaced. */
    static void replaceProcess(List<String> command, Map<String, String> env) {
        // not available before Java 22
    }
}
