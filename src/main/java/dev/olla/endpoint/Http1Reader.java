package dev.olla.endpoint;

import dev.olla.endpoint.BackendGet.Failure;
import dev.olla.endpoint.BackendGet.Kind;
import dev.olla.endpoint.BackendGet.Response;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one HTTP/1.x response for {@link BackendGet}: status line (interim 1xx skipped), headers,
 * and the body by its framing (Content-Length, chunked, or to the end of the connection), capped.
 */
final class Http1Reader {
    private static final int MAX_HEAD = 64 * 1024;

    private Http1Reader() {}

    static Response read(InputStream in, int maxBody, long start) throws IOException {
        for (;;) {
            String statusLine = line(in, true);
            if (!statusLine.startsWith("HTTP/1.")) {
                throw new Failure(Kind.BAD_RESPONSE, "not an HTTP/1.x response");
            }
            int status = status(statusLine);
            Map<String, String> headers = headers(in);
            if (status >= 100 && status < 200) {
                continue; // interim answer: the real one follows
            }
            byte[] body = new byte[0];
            if (maxBody > 0 && status >= 200 && status < 300 && status != 204) {
                body = body(in, headers, maxBody);
            }
            return new Response(status, Map.copyOf(headers), body, System.nanoTime() - start);
        }
    }

    private static int status(String line) throws Failure {
        int sp = line.indexOf(' ');
        if (sp < 0 || line.length() < sp + 4) {
            throw new Failure(Kind.BAD_RESPONSE, "malformed status line");
        }
        try {
            int s = Integer.parseInt(line.substring(sp + 1, sp + 4));
            if (s < 100 || s > 999) {
                throw new NumberFormatException();
            }
            return s;
        } catch (NumberFormatException e) {
            throw new Failure(Kind.BAD_RESPONSE, "malformed status line");
        }
    }

    private static Map<String, String> headers(InputStream in) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        int total = 0;
        for (;;) {
            String l = line(in, false);
            if (l.isEmpty()) {
                return headers;
            }
            total += l.length();
            if (total > MAX_HEAD) {
                throw new Failure(Kind.BAD_RESPONSE, "response head larger than " + MAX_HEAD / 1024 + " KiB");
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw new Failure(Kind.BAD_RESPONSE, "malformed header line");
            }
            headers.putIfAbsent(l.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                    l.substring(colon + 1).strip());
        }
    }

    private static byte[] body(InputStream in, Map<String, String> headers, int max) throws IOException {
        String te = headers.get("transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            return chunked(in, max);
        }
        String cl = headers.get("content-length");
        if (cl != null) {
            long n;
            try {
                n = Long.parseLong(cl.strip());
            } catch (NumberFormatException e) {
                throw new Failure(Kind.BAD_RESPONSE, "malformed Content-Length");
            }
            if (n < 0) {
                throw new Failure(Kind.BAD_RESPONSE, "malformed Content-Length");
            }
            if (n > max) {
                throw tooLarge(max);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) n);
            copy(in, out, n, max);
            return out.toByteArray();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        copy(in, out, Long.MAX_VALUE, max);
        return out.toByteArray();
    }

    private static byte[] chunked(InputStream in, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (;;) {
            String size = line(in, false);
            int semi = size.indexOf(';');
            long n;
            try {
                n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).strip(), 16);
            } catch (NumberFormatException e) {
                throw new Failure(Kind.BAD_RESPONSE, "malformed chunk size");
            }
            if (n < 0) {
                throw new Failure(Kind.BAD_RESPONSE, "malformed chunk size");
            }
            if (n == 0) {
                while (!line(in, false).isEmpty()) {
                    // trailers: ignored
                }
                return out.toByteArray();
            }
            if (out.size() + n > max) {
                throw tooLarge(max);
            }
            copy(in, out, n, max);
            if (!line(in, false).isEmpty()) {
                throw new Failure(Kind.BAD_RESPONSE, "malformed chunk");
            }
        }
    }

    /** Copies exactly {@code n} bytes ({@code Long.MAX_VALUE}: to the end of the stream). */
    private static void copy(InputStream in, ByteArrayOutputStream out, long n, int max) throws IOException {
        byte[] buf = new byte[8192];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                if (n == Long.MAX_VALUE) {
                    return;
                }
                throw new EOFException();
            }
            if (out.size() + r > max) {
                throw tooLarge(max);
            }
            out.write(buf, 0, r);
            left -= r;
        }
    }

    private static Failure tooLarge(int max) {
        return new Failure(Kind.TOO_LARGE, "response body larger than " + size(max));
    }

    private static String size(int bytes) {
        return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + " MiB"
                : bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " bytes";
    }

    /** One CRLF (or LF) terminated line, ISO-8859-1. */
    private static String line(InputStream in, boolean first) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (;;) {
            int c = in.read();
            if (c < 0) {
                if (first && sb.isEmpty()) {
                    throw new Failure(Kind.BROKEN, "connection closed without a response");
                }
                throw new EOFException();
            }
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            if (sb.length() >= MAX_HEAD) {
                throw new Failure(Kind.BAD_RESPONSE, "response line too long");
            }
            sb.append((char) c);
        }
    }
}
