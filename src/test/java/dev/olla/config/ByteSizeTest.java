package dev.olla.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "1048576, 1048576",
        "0, 0",
        "512B, 512",
        "512b, 512",
        "1KB, 1024",
        "1kb, 1024",
        "2Kb, 2048",
        "50MB, 52428800",
        "50 MB, 52428800",
        "50mb, 52428800",
        "100m, 104857600",
        "1GB, 1073741824",
        "1gb, 1073741824",
        "1.5GB, 1610612736",
        "1MiB, 1048576",
        "' 10KB ', 10240",
    })
    void parses(String text, long bytes) {
        assertThat(ByteSize.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "lots", "-1", "10 XB", "MB", "1,5MB", "10MBB", "99999999999GB"})
    void rejects(String text) {
        assertThatThrownBy(() -> ByteSize.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void formats() {
        assertThat(ByteSize.format(52428800)).isEqualTo("50MB");
        assertThat(ByteSize.format(1536)).isEqualTo("1536B");
        assertThat(ByteSize.format(0)).isEqualTo("0B");
    }
}
