package dev.olla.route;

import dev.olla.server.Exchange;
import dev.olla.server.Json;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

/**
 * Sends a status body as JSON with a weak {@code ETag} (FNV-1a of the body without the per-second
 * fields), {@code Cache-Control: private, no-cache}, a bare 304 for a matching
 * {@code If-None-Match}, and gzip for bodies of 256 bytes or more when the client accepts it.
 */
final class CacheableJson {
    static final Set<String> VOLATILE_KEYS = Set.of("timestamp", "uptime", "last_check", "next_check",
            "health_check", "last_model_sync");
    private static final int GZIP_MIN = 256;

    private CacheableJson() {}

    static void send(Exchange ex, Map<String, Object> body) {
        byte[] json = Json.bytes(body);
        String etag = "W/\"" + Long.toString(fnv64a(Json.bytes(stable(body))) >>> 1, 36) + "\"";
        String inm = ex.requestHeaders().get(HttpHeaderNames.IF_NONE_MATCH);
        if (etagMatches(inm, etag)) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    Unpooled.EMPTY_BUFFER);
            res.headers().set(HttpHeaderNames.ETAG, etag);
            res.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, no-cache");
            ex.respond(res);
            return;
        }
        byte[] content = json;
        boolean gzip = json.length >= GZIP_MIN && acceptsGzip(ex.requestHeaders().get(HttpHeaderNames.ACCEPT_ENCODING));
        if (gzip) {
            content = gzip(json);
        }
        boolean head = ex.method() == HttpMethod.HEAD;
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
        res.headers().set(HttpHeaderNames.ETAG, etag);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, no-cache");
        res.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
        if (gzip) {
            res.headers().set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.GZIP);
        }
        ex.respond(res);
    }

    /** A copy without the fields that change every second (they would defeat the ETag). */
    static Object stable(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                if (!VOLATILE_KEYS.contains((String) k)) {
                    out.put((String) k, stable(v));
                }
            });
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(stable(v)));
            return out;
        }
        return value;
    }

    static boolean etagMatches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null || ifNoneMatch.isEmpty() || ifNoneMatch.length() > 1024) {
            return false;
        }
        if (ifNoneMatch.strip().equals("*")) {
            return true;
        }
        String current = stripWeak(etag);
        for (String t : ifNoneMatch.split(",")) {
            if (stripWeak(t.strip()).equals(current)) {
                return true;
            }
        }
        return false;
    }

    private static String stripWeak(String v) {
        return v.startsWith("W/") ? v.substring(2) : v;
    }

    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String part : acceptEncoding.split(",")) {
            String[] kv = part.strip().split(";");
            if (!kv[0].strip().equalsIgnoreCase("gzip")) {
                continue;
            }
            for (int i = 1; i < kv.length; i++) {
                String q = kv[i].strip();
                if (q.startsWith("q=")) {
                    try {
                        return Double.parseDouble(q.substring(2)) > 0;
                    } catch (NumberFormatException e) {
                        return false;
                    }
                }
            }
            return true;
        }
        return false;
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static long fnv64a(byte[] data) {
        long h = 0xcbf29ce484222325L;
        for (byte b : data) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
