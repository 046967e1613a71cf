package dev.olla.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/8", "127.0.0.0/8", "192.168.1.7/32", "0.0.0.0/0", "::1/128", "fc00::/7", "::/0",
        "2001:db8::/32", "::ffff:10.0.0.0/104"})
    void valid(String s) {
        assertThat(Cidr.isValid(s)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0/8", "10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "10.0.0.0/", "/8", "localhost/8",
        "::1/129", "10.0.0.0/-1", "10.0.0.0/8x", "1.2.3.4.5/8", "gggg::/16"})
    void invalid(String s) {
        assertThat(Cidr.isValid(s)).isFalse();
    }

    @Test
    void contains() throws Exception {
        Cidr ten = Cidr.parse("10.1.2.3/8");
        assertThat(ten.contains(InetAddress.getByName("10.200.0.1"))).isTrue();
        assertThat(ten.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(ten.contains(InetAddress.getByName("::ffff:10.0.0.1"))).isTrue();
        assertThat(Cidr.parse("::1/128").contains(InetAddress.getByName("::1"))).isTrue();
        assertThat(Cidr.parse("::1/128").contains(InetAddress.getByName("127.0.0.1"))).isFalse();
        assertThat(Cidr.parse("172.16.0.0/12").contains(InetAddress.getByName("172.31.255.255"))).isTrue();
        assertThat(Cidr.parse("172.16.0.0/12").contains(InetAddress.getByName("172.32.0.0"))).isFalse();
    }
}
