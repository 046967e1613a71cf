package dev.olla.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReportTest {

    @TempDir
    Path dir;

    @Test
    void cleanConfigPasses() {
        ConfigReport r = ConfigReport.validate(null, Map.of(), ConfigLoader.DEFAULT_ENDPOINT_TYPES, dir);
        assertThat(r.exitCode()).isZero();
        assertThat(r.lines()).first().isEqualTo(ConfigReport.TITLE);
        assertThat(r.lines()).contains("[OK] config: no config file found, using embedded defaults",
                "[OK] endpoint \"localhost\": http://localhost:11434 (type ollama, priority 100)");
        assertThat(r.lines()).last().isEqualTo("Result: PASS - all configuration files are valid");
        assertThat(r.loaded()).isPresent();
    }

    @Test
    void warningsStillPass() {
        ConfigTesting.write(dir, "config.yaml", "proxy:\n  max_retries: 3\n");
        ConfigReport r = ConfigReport.validate(null, Map.of(), ConfigLoader.DEFAULT_ENDPOINT_TYPES, dir);
        assertThat(r.exitCode()).isZero();
        assertThat(r.lines()).contains("[WARN] unknown key proxy.max_retries (ignored)");
        assertThat(r.lines()).last().isEqualTo("Result: PASS - all configuration files are valid");
        assertThat(r.warningCount()).isEqualTo(1);
    }

    @Test
    void failuresFailWithEveryProblem() {
        ConfigTesting.write(dir, "config.yaml", "server:\n  port: 70000\nproxy:\n  load_balancer: x\n  foo: 1\n");
        ConfigReport r = ConfigReport.validate(null, Map.of(), ConfigLoader.DEFAULT_ENDPOINT_TYPES, dir);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.lines()).contains("[FAIL] server.port: 70000 out of range 1-65535",
                "[WARN] unknown key proxy.foo (ignored)");
        assertThat(r.lines()).anySatisfy(l -> assertThat(l).startsWith("[FAIL] proxy.load_balancer"));
        assertThat(r.lines()).contains("[OK] config: " + dir.resolve("config.yaml"));
        assertThat(r.lines()).last().isEqualTo("Result: FAIL - 2 problems found");
        assertThat(r.loaded()).isEmpty();
    }

    @Test
    void otherChecksCanBeAppended() {
        ConfigReport r = ConfigReport.validate(null, Map.of(), ConfigLoader.DEFAULT_ENDPOINT_TYPES, dir)
                .ok("profiles: 12 loaded").fail("models.yaml: broken");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.lines()).contains("[OK] profiles: 12 loaded", "[FAIL] models.yaml: broken");
    }

    @Test
    void missingExplicitFileFails() {
        ConfigReport r = ConfigReport.validate(dir.resolve("x.yaml"), Map.of(), ConfigLoader.DEFAULT_ENDPOINT_TYPES, dir);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.lines()).anySatisfy(l -> assertThat(l).startsWith("[FAIL] config file not found"));
        assertThat(r.lines()).last().isEqualTo("Result: FAIL - 1 problem found");
    }
}
