package dev.olla;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Name, version, commit and build date, from the build.properties the build writes (the commit
 * comes from the git-commit-id plugin for any Maven build in a git checkout).
 */
public record BuildInfo(String version, String commit, String date) {
    public static final String NAME = "Olla";
    private static final BuildInfo CURRENT = load();

    public static BuildInfo current() {
        return CURRENT;
    }

    public static String runtime() {
        return "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + "), "
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch");
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/olla/build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // fall through to defaults
        }
        // -Dbuild.commit wins (a release build may name its commit); else the git-commit-id plugin's value.
        String commit = clean(p.getProperty("commit_override"), clean(p.getProperty("commit"), "unknown"));
        return new BuildInfo(clean(p.getProperty("version"), "dev"), commit,
                clean(p.getProperty("date"), "unknown"));
    }

    private static String clean(String v, String fallback) {
        return v == null || v.isBlank() || v.startsWith("${") ? fallback : v;
    }
}
