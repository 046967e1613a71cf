package dev.olla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: version, validate, help, and the original's flag spellings. */
class CliTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void versionInEverySpelling() {
        for (String[] args : new String[][] {{"version"}, {"--version"}, {"-version"}, {"-v"}}) {
            Result r = run(args);
            assertThat(r.code()).isZero();
            assertThat(r.out()).startsWith("Olla ").contains("commit:").contains("built:").contains("runtime: Java");
        }
    }

    @Test
    void versionNamesTheCommitOfThisBuild() {
        // any Maven build in a git checkout knows its commit (git-commit-id plugin or -Dbuild.commit)
        assertThat(run("version").out()).doesNotContain("commit:  unknown").containsPattern("commit:  [0-9a-f]{7}");
    }

    @Test
    void everySubcommandHasHelp() {
        for (String cmd : new String[] {"validate", "demo", "version"}) {
            Result r = run(cmd, "--help");
            assertThat(r.code()).as(cmd).isZero();
            assertThat(r.out()).as(cmd).startsWith("Usage: olla " + cmd).contains("--help");
        }
    }

    @Test
    void helpListsTheCommands() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("version").contains("validate").contains("demo").contains("--config");
    }

    @Test
    void validateAcceptsAGoodFile() throws Exception {
        Path cfg = dir.resolve("good.yaml");
        Files.writeString(cfg, """
                server:
                  port: 41000
                proxy:
                  engine: olla
                discovery:
                  static:
                    endpoints:
                      - name: gpu1
                        url: http://127.0.0.1:11434
                        type: ollama
                """);
        for (String[] args : new String[][] {{"validate", "-c", cfg.toString()},
                {"--validate-config", "--config", cfg.toString()}, {"-validate-config", "-config", cfg.toString()}}) {
            Result r = run(args);
            assertThat(r.code()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("Olla Configuration Validation").contains("[OK]")
                    .contains("Result: PASS");
        }
    }

    @Test
    void validateRejectsABadFileWithOneLinePerProblem() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, """
                server:
                  port: 70000
                proxy:
                  load_balancer: fastest
                  max_retries: 3
                discovery:
                  static:
                    endpoints:
                      - name: a
                        url: http://user:pw@127.0.0.1:1
                        type: ollama
                      - name: a
                        url: http://127.0.0.1:2
                        type: ollama
                        check_interval: 5 minutes
                """);
        Result r = run("validate", "-c", cfg.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.out()).contains("[FAIL]").contains("server.port").contains("70000")
                .contains("proxy.load_balancer").contains("fastest")
                .contains("endpoints[1].name").contains("endpoints[0].url")
                .contains("check_interval")
                .contains("[WARN]").contains("proxy.max_retries")
                .contains("Result: FAIL")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void endpointWhoseTypeTheProfileFilterExcludesIsAnError() throws Exception {
        Path cfg = dir.resolve("filtered.yaml");
        Files.writeString(cfg, """
                proxy:
                  profile_filter:
                    exclude: ["vllm"]
                discovery:
                  static:
                    endpoints:
                      - name: box
                        url: http://127.0.0.1:8000
                        type: vllm
                """);
        Result r = run("validate", "-c", cfg.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.out()).contains("[FAIL] discovery.static.endpoints[0].type: \"vllm\" is excluded by proxy.profile_filter");
    }

    @Test
    void servingWithABadConfigExitsNonZeroWithoutAStackTrace() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "server:\n  port: [1, 2\n");
        Result r = run("-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("invalid configuration").contains("line").doesNotContain("\tat ");
    }

    @Test
    void missingConfigFileIsAClearError() {
        Result r = run("--config", dir.resolve("nope.yaml").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nope.yaml");
    }

    @Test
    void theUsualServerCommandLinesSkipTheParserAndMeanTheSameAsWithIt() {
        for (String[] args : new String[][] {{"-c", "a b.yaml"}, {"--config", "a b.yaml"}, {"-config", "a b.yaml"},
                {"--config=a b.yaml"}}) {
            assertThat(Main.plainServe(args)).as(String.join(" ", args)).isEqualTo(Path.of("a b.yaml"));
            Main main = new Main();
            CommandLine.ParseResult parsed = new CommandLine(main).parseArgs(args);
            assertThat(parsed.subcommand()).isNull();
            assertThat(main.config).isEqualTo(Path.of("a b.yaml"));
            assertThat(main.version || main.validate || main.help).isFalse();
        }
        for (String[] args : new String[][] {{}, {"version"}, {"-c"}, {"-c", "--help"}, {"-c", "x.yaml", "validate"},
                {"--config="}, {"-v", "x"}, {"demo", "x"}}) {
            assertThat(Main.plainServe(args)).as(String.join(" ", args)).isNull();
        }
    }

    @Test
    void otherPositionalWordsStartTheServerAsPlainOllaDoes() {
        Main main = new Main();
        CommandLine.ParseResult parsed = new CommandLine(main).parseArgs("server", "-c", "x.yaml");
        assertThat(parsed.subcommand()).isNull();
        assertThat(main.words).containsExactly("server");
        assertThat(main.config).isEqualTo(Path.of("x.yaml"));
    }
}
