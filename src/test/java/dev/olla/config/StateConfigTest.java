package dev.olla.config;

import static dev.olla.config.ConfigTesting.failure;
import static dev.olla.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** state (memory | redis) and reload: defaults, env, validation, password by ${VAR} or file. */
class StateConfigTest {
    @TempDir
    Path dir;

    @Test
    void memoryByDefaultAndRedisFromTheEnvironment() throws Exception {
        OllaConfig c = load(dir, "").config();
        assertThat(c.state().type()).isEqualTo("memory");
        assertThat(c.state().redisEnabled()).isFalse();
        assertThat(c.reload().watch()).isFalse();
        OllaConfig r = load(dir, "", Map.of("OLLA_STATE_TYPE", "redis", "OLLA_STATE_REDIS_URL",
                "redis://cache:6379/2", "OLLA_RELOAD_WATCH", "true")).config();
        assertThat(r.state().redisEnabled()).isTrue();
        assertThat(r.state().redis().url()).isEqualTo("redis://cache:6379/2");
        assertThat(r.state().redis().keyPrefix()).isEqualTo("olla:");
        assertThat(r.state().redis().commandTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(r.reload().watch()).isTrue();
    }

    @Test
    void passwordFromAVariableOrAFileAndNeverPrinted() throws Exception {
        OllaConfig c = load(dir, "state:\n  type: redis\n  redis:\n    url: redis://h:6379\n    password: ${REDIS_PW}\n",
                Map.of("REDIS_PW", "s3cret")).config();
        assertThat(c.state().redis().password()).isEqualTo("s3cret");
        assertThat(c.state().redis().toString()).doesNotContain("s3cret");
        Files.writeString(dir.resolve("pw"), "fromfile\n");
        OllaConfig f = load(dir, "state:\n  type: redis\n  redis:\n    url: redis://h:6379\n    password_file: pw\n")
                .config();
        assertThat(f.state().redis().password()).isEqualTo("fromfile");
    }

    @Test
    void badValuesNameTheKey() {
        assertThat(failure(dir, "state:\n  type: etcd\n").problems())
                .anyMatch(p -> p.contains("state.type") && p.contains("memory, redis"));
        assertThat(failure(dir, "state:\n  type: redis\n").problems())
                .anyMatch(p -> p.contains("state.redis.url") && p.contains("required"));
        assertThat(failure(dir, "state:\n  type: redis\n  redis:\n    url: http://h:6379\n").problems())
                .anyMatch(p -> p.contains("state.redis.url") && p.contains("scheme"));
        assertThat(failure(dir, "state:\n  type: redis\n  redis:\n    url: redis://u:pw@h:6379\n").problems())
                .anyMatch(p -> p.contains("state.redis.url") && p.contains("password"));
        assertThat(failure(dir, "state:\n  type: redis\n  redis:\n    url: redis://h\n    password: a\n"
                + "    password_file: b\n").problems()).anyMatch(p -> p.contains("state.redis.password"));
        assertThat(failure(dir, "state:\n  type: redis\n  redis:\n    url: redis://h\n    command_timeout: 0s\n")
                .problems()).anyMatch(p -> p.contains("state.redis.command_timeout"));
        assertThat(failure(dir, "state:\n  type: redis\n  redis:\n    url: redis://h\n    key_prefix: \" \"\n")
                .problems()).anyMatch(p -> p.contains("state.redis.key_prefix"));
        assertThat(failure(dir, "reload:\n  watch: true\n  watch_interval: 10ms\n").problems())
                .anyMatch(p -> p.contains("reload.watch_interval"));
    }
}
