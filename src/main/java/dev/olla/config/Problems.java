package dev.olla.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Collects errors and warnings during one load; one line each. Package-private. */
final class Problems {

    final List<String> errors = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    /** key path -> environment variable that set it, for messages. */
    final Map<String, String> origins = new HashMap<>();
    private final Set<String> failedPaths = new LinkedHashSet<>();

    /** An error about the value at {@code path}; suppressed when that path (or a parent) already failed. */
    void error(String path, String message) {
        if (hasFailed(path)) {
            return;
        }
        failedPaths.add(path);
        errors.add(path + ": " + message + originSuffix(path));
    }

    /** An error line that is not about one key path (already fully worded). */
    void errorLine(String line) {
        errors.add(line);
    }

    void warn(String path, String message) {
        warnings.add(path + ": " + message + originSuffix(path));
    }

    void warnLine(String line) {
        warnings.add(line);
    }

    boolean hasFailed(String path) {
        for (String failed : failedPaths) {
            if (path.equals(failed) || path.startsWith(failed + ".") || path.startsWith(failed + "[")) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code path} or anything below it already has an error. */
    boolean hasFailedUnder(String path) {
        for (String failed : failedPaths) {
            if (failed.equals(path) || failed.startsWith(path + ".") || failed.startsWith(path + "[")) {
                return true;
            }
        }
        return false;
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    /** " (set by OLLA_X)" when the value at {@code path}, or a parent of it, came from the environment. */
    private String originSuffix(String path) {
        String p = path;
        while (!p.isEmpty()) {
            String var = origins.get(p);
            if (var != null) {
                return " (set by " + var + ")";
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return "";
    }
}
