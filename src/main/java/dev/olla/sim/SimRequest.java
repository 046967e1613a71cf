package dev.olla.sim;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** One request a simulated backend answers, detached from Netty buffers (its JSON body parsed once). */
final class SimRequest {
    final String method;
    final String uri;
    final String path;
    final boolean keepAlive;
    final boolean http10;
    final String origin;
    final String body;
    final JsonNode json;
    final String jsonError;
    final int index;

    SimRequest(FullHttpRequest req, int index) {
        this.method = req.method().name();
        this.uri = req.uri();
        this.path = pathOf(uri);
        this.keepAlive = HttpUtil.isKeepAlive(req);
        this.http10 = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
        this.origin = req.headers().get(HttpHeaderNames.ORIGIN);
        this.index = index;
        ByteBuf c = req.content();
        this.body = c.isReadable() ? c.toString(StandardCharsets.UTF_8) : "";
        JsonNode j = null;
        String err = null;
        if (!body.isEmpty() && !method.equals("GET") && !method.equals("HEAD")) {
            try {
                j = Wire.MAPPER.readTree(body);
            } catch (JacksonException e) {
                err = e.getOriginalMessage();
            }
        }
        this.json = j;
        this.jsonError = err;
    }

    boolean head() {
        return method.equals("HEAD");
    }

    static String pathOf(String uri) {
        String p = uri;
        if (p.startsWith("http://") || p.startsWith("https://")) {
            int slash = p.indexOf('/', p.indexOf("//") + 2);
            p = slash < 0 ? "/" : p.substring(slash);
        }
        int q = p.indexOf('?');
        if (q >= 0) {
            p = p.substring(0, q);
        }
        int h = p.indexOf('#');
        return h >= 0 ? p.substring(0, h) : p;
    }
}
