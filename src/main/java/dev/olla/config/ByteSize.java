package dev.olla.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as accepted by the size environment variables ({@code OLLA_SERVER_MAX_BODY_SIZE}, ...):
 * plain bytes ({@code 1048576}) or a number with a binary unit {@code B}, {@code KB}, {@code MB},
 * {@code GB}, {@code TB} (1 KB = 1024 B), case-insensitive, optionally {@code KiB}-style or with the
 * {@code B} left off ({@code 100m}), and with an optional space ({@code 50 MB}). Decimal numbers are
 * allowed ({@code 1.5GB}); the result is rounded down to whole bytes. In YAML, sizes are plain integers.
 */
public final class ByteSize {

    /** Hint appended to every "not a size" message. */
    public static final String SYNTAX_HINT = "use bytes or a unit like 512KB, 50MB, 1GB";

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?) ?(?:([kmgtp])i?)?b?");

    private ByteSize() {}

    /**
     * Parses a size.
     *
     * @throws IllegalArgumentException when the text is not a size or does not fit in a {@code long}
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty size");
        }
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a size (" + SYNTAX_HINT + ")");
        }
        int power = m.group(2) == null ? 0 : "kmgtp".indexOf(m.group(2)) + 1;
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power))
                .setScale(0, RoundingMode.DOWN);
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("\"" + text + "\" is too large", e);
        }
    }

    /** A short human form: {@code 50MB}, {@code 1GB}, {@code 1536B}; exact multiples only use units. */
    public static String format(long bytes) {
        String[] units = {"B", "KB", "MB", "GB", "TB", "PB"};
        long value = bytes;
        int unit = 0;
        while (value != 0 && value % 1024 == 0 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return value + units[unit];
    }
}
