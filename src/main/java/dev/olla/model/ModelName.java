package dev.olla.model;

/**
 * Rules for a model name a client sent, before Olla repeats it anywhere. A name with control
 * characters is refused (400); what is echoed (error messages, {@code X-Olla-Model}, logs) is at most
 * {@link #MAX_ECHO} characters, and in a header only printable ASCII.
 */
public final class ModelName {
    /** The most characters of a client's model name that Olla repeats. */
    public static final int MAX_ECHO = 256;

    private ModelName() {}

    /** Whether the name holds a control character (C0, DEL or C1): such a name is refused. */
    public static boolean hasControlCharacters(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                return true;
            }
        }
        return false;
    }

    /** The name as echoed in a message: cut to {@link #MAX_ECHO} characters, marked when cut. */
    public static String echo(String name) {
        if (name == null || name.length() <= MAX_ECHO) {
            return name;
        }
        int end = Character.isHighSurrogate(name.charAt(MAX_ECHO - 1)) ? MAX_ECHO - 1 : MAX_ECHO;
        return name.substring(0, end) + "...(" + name.length() + " characters)";
    }

    /** The name as a log field: {@link #echo}, with control characters as {@code \\uXXXX} (no forged lines). */
    public static String forLog(String name) {
        String e = echo(name);
        if (e == null || !hasControlCharacters(e)) {
            return e;
        }
        StringBuilder sb = new StringBuilder(e.length() + 16);
        for (int i = 0; i < e.length(); i++) {
            char c = e.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The name as a header value: {@link #echo}, with anything but printable ASCII as {@code ?}. */
    public static String headerValue(String name) {
        String e = echo(name);
        if (e == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < e.length(); i++) {
            char c = e.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                if (sb == null) {
                    sb = new StringBuilder(e);
                }
                sb.setCharAt(i, '?');
            }
        }
        return sb == null ? e : sb.toString();
    }
}
