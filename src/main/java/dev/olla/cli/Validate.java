package dev.olla.cli;

import dev.olla.config.ConfigReport;
import dev.olla.config.OllaConfig;
import dev.olla.profile.Profile;
import dev.olla.profile.ProfileException;
import dev.olla.profile.ProfileRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;

/** {@code olla validate} / {@code --validate-config}: configuration and profiles, without serving. */
final class Validate {
    private Validate() {}

    static int run(Path configPath, PrintWriter out) {
        ProfileRegistry profiles = null;
        String profileProblem = null;
        try {
            profiles = ProfileRegistry.load(Startup.PROFILE_DIR, null, null);
        } catch (ProfileException e) {
            profileProblem = e.getMessage();
        }
        Set<String> types = profiles != null ? profiles.knownTypes() : ProfileRegistry.builtIn().knownTypes();
        ConfigReport report = ConfigReport.validate(configPath, System.getenv(), types, null);
        if (profileProblem != null) {
            report.fail("profiles: " + profileProblem);
        } else {
            profiles.warnings().forEach(w -> report.warn("profiles: " + w));
            OllaConfig.Filter filter = report.loaded().map(l -> l.config().proxy().profileFilter()).orElse(null);
            try {
                ProfileRegistry filtered = filter == null ? profiles
                        : ProfileRegistry.load(Startup.PROFILE_DIR, filter.include(), filter.exclude());
                StringBuilder names = new StringBuilder();
                for (Profile p : filtered.all()) {
                    names.append(names.length() == 0 ? "" : ", ").append(p.name());
                }
                report.ok("profiles: " + filtered.all().size() + " loaded (" + names + ")");
                ProfileRegistry all = profiles;
                report.loaded().ifPresent(l -> Startup.excludedTypes(l.config(), all, filtered).forEach(report::fail));
            } catch (ProfileException e) {
                report.fail("profiles: " + e.getMessage());
            }
        }
        report.lines().forEach(out::println);
        out.flush();
        return report.exitCode();
    }
}
