package dev.olla.proxy;

import dev.olla.config.OllaConfig.ProxyProfile;
import java.util.Locale;

/**
 * Decides, once the backend's response head is in, whether to relay the body chunk by chunk
 * (flushing each at once) or buffer it whole and send it with a Content-Length
 * (proxy.profile: streaming, standard, auto).
 */
final class StreamPolicy {
    private static final String[] STREAM_TYPES = {
        "text/event-stream", "application/x-ndjson", "application/stream+json", "application/json-seq", "text/plain"
    };
    private static final String[] BINARY_PREFIXES = {"image/", "video/", "audio/", "font/", "model/"};
    private static final String[] BINARY_TYPES = {
        "application/pdf", "application/zip", "application/gzip", "application/x-tar", "application/x-rar",
        "application/x-7z-compressed", "application/octet-stream", "application/vnd.openxmlformats",
        "application/msword", "application/vnd.ms-"
    };

    private StreamPolicy() {}

    /**
     * @param requestStream the request body's {@code stream} flag, or null when absent
     */
    static boolean stream(ProxyProfile profile, String contentType, Boolean requestStream) {
        switch (profile) {
            case STREAMING:
                return true;
            case STANDARD:
                return false;
            default:
                break;
        }
        String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        for (String t : STREAM_TYPES) {
            if (ct.contains(t)) {
                return true;
            }
        }
        for (String p : BINARY_PREFIXES) {
            if (ct.startsWith(p)) {
                return false;
            }
        }
        for (String t : BINARY_TYPES) {
            if (ct.contains(t)) {
                return false;
            }
        }
        return requestStream == null || requestStream;
    }
}
