package dev.olla.cli;

import dev.olla.BuildInfo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * {@code olla} command line: serve (default), {@code version}, {@code validate}, {@code demo}.
 * Go-style single-dash flags of the original ({@code -config}, {@code -version},
 * {@code -validate-config}) are accepted too.
 */
@Command(name = "olla",
        description = "Olla: proxy and load balancer for self-hosted LLM servers.",
        subcommands = {Main.VersionCommand.class, Main.ValidateCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class},
        sortOptions = false)
public final class Main implements Callable<Integer> {

    @Option(names = {"-c", "--config", "-config"}, paramLabel = "PATH", scope = ScopeType.INHERIT,
            description = "Configuration file (else $OLLA_CONFIG_FILE, ./config.yaml, ./config/config.yaml, "
                    + "embedded defaults).")
    Path config;

    @Option(names = {"-v", "--version", "-version"}, description = "Print version information and exit.")
    boolean version;

    @Option(names = {"--validate-config", "-validate-config"},
            description = "Check the configuration and exit (0 when valid).")
    boolean validate;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    /** The original takes no subcommands: other words (e.g. `olla server`) just start the server. */
    @Parameters(hidden = true, arity = "0..*")
    List<String> words;

    public static void main(String[] args) {
        // A plain `java -jar olla.jar` becomes the same command with Olla's JVM options (JvmOptions).
        JvmOptions.relaunchIfNeeded();
        // Netty samples buffers for leak reports by default, capturing stack traces on the hot
        // path; a server does without (tests run with -Dio.netty.leakDetection.level=paranoid).
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        Path serveConfig = plainServe(args);
        if (serveConfig != null || args.length == 0) {
            // the server as systemd, the image and most users start it: no command-line model needed
            // (picocli builds it by reflection over every subcommand: ~170 classes, ~10% of the
            // start-up's main-thread time)
            try {
                return Serve.run(serveConfig, System.getenv());
            } catch (RuntimeException e) {
                System.err.println("olla: " + e.getMessage());
                return 1;
            }
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setUnmatchedOptionsArePositionalParams(false);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("olla: " + ex.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    /**
     * The configuration path of {@code -c PATH}, {@code --config PATH}, {@code -config PATH} or
     * {@code --config=PATH} alone; null for anything else (picocli parses it).
     */
    static Path plainServe(String... args) {
        if (args.length == 1 && args[0].startsWith("--config=") && args[0].length() > "--config=".length()) {
            return Path.of(args[0].substring("--config=".length()));
        }
        if (args.length == 2 && (args[0].equals("-c") || args[0].equals("--config") || args[0].equals("-config"))
                && !args[1].isEmpty() && !args[1].startsWith("-")) {
            return Path.of(args[1]);
        }
        return null;
    }

    @Override
    public Integer call() throws Exception {
        if (version) {
            return printVersion(new PrintWriter(System.out, true));
        }
        if (validate) {
            return Validate.run(config, new PrintWriter(System.out, true));
        }
        return Serve.run(config, System.getenv());
    }

    static int printVersion(PrintWriter out) {
        BuildInfo b = BuildInfo.current();
        out.println(BuildInfo.NAME + " " + b.version());
        out.println("  commit:  " + b.commit());
        out.println("  built:   " + b.date());
        out.println("  runtime: " + BuildInfo.runtime());
        out.println("  jvm options: " + JvmOptions.describe());
        out.flush();
        return 0;
    }

    @Command(name = "version", description = "Print name, version, commit, build date and runtime.")
    static final class VersionCommand implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Override
        public Integer call() {
            return printVersion(new PrintWriter(System.out, true));
        }
    }

    @Command(name = "validate", description = "Check configuration and profiles without serving; exit 0 when valid.")
    static final class ValidateCommand implements Callable<Integer> {
        @CommandLine.ParentCommand
        Main parent;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Override
        public Integer call() {
            return Validate.run(parent.config, new PrintWriter(System.out, true));
        }
    }
}
