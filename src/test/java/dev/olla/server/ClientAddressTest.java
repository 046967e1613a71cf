package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.config.OllaConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one "client address" rule shared by rate limits, sticky sessions and statistics. */
class ClientAddressTest {
    static final OllaConfig.RateLimits TRUSTING = new OllaConfig.RateLimits(0, 0, 0, 0, Duration.ofMinutes(5), true,
            List.of("127.0.0.0/8", "10.0.0.0/8"));

    static String resolve(ClientAddress c, String peer, String xff, String realIp) throws Exception {
        HttpHeaders h = new DefaultHttpHeaders();
        if (xff != null) {
            h.add("X-Forwarded-For", xff);
        }
        if (realIp != null) {
            h.add("X-Real-IP", realIp);
        }
        return c.resolve(InetAddress.getByName(peer), peer, h);
    }

    @Test
    void headersCountOnlyFromTrustedPeersAndOnlyWhenTrustIsOn() throws Exception {
        ClientAddress on = ClientAddress.of(TRUSTING);
        assertThat(resolve(on, "203.0.113.9", "198.51.100.1", null)).isEqualTo("203.0.113.9");
        assertThat(resolve(ClientAddress.PEER, "127.0.0.1", "198.51.100.1", null)).isEqualTo("127.0.0.1");
        assertThat(resolve(on, "127.0.0.1", null, null)).isEqualTo("127.0.0.1");
    }

    @Test
    void theRightmostUntrustedHopIsTheClient() throws Exception {
        ClientAddress on = ClientAddress.of(TRUSTING);
        assertThat(resolve(on, "127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.1.1", null)).isEqualTo("203.0.113.7");
        // several header lines are one list
        HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "6.6.6.6").add("x-forwarded-for", "10.0.0.2");
        assertThat(on.resolve(InetAddress.getByName("127.0.0.1"), "127.0.0.1", h)).isEqualTo("6.6.6.6");
        // every hop trusted: the leftmost
        assertThat(resolve(on, "127.0.0.1", "10.0.0.3, 10.0.0.2", null)).isEqualTo("10.0.0.3");
        // ports and brackets are dropped; a non-address ends the walk at the last address seen
        assertThat(resolve(on, "127.0.0.1", "203.0.113.7:5555", null)).isEqualTo("203.0.113.7");
        assertThat(resolve(on, "127.0.0.1", "[2001:db8::1]:443", null)).isEqualTo("2001:db8:0:0:0:0:0:1");
        assertThat(resolve(on, "127.0.0.1", "evil.example, 10.0.0.2", null)).isEqualTo("10.0.0.2");
        assertThat(resolve(on, "127.0.0.1", "unknown", null)).isEqualTo("127.0.0.1");
        // X-Real-IP only without X-Forwarded-For, and only an address
        assertThat(resolve(on, "127.0.0.1", null, "203.0.113.5")).isEqualTo("203.0.113.5");
        assertThat(resolve(on, "127.0.0.1", null, "not-an-ip")).isEqualTo("127.0.0.1");
    }
}
