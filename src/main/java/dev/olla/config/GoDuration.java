package dev.olla.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;

/**
 * Go {@code time.Duration} text syntax, as used by every duration key of the Olla configuration.
 *
 * <p>{@link #parse} accepts exactly what Go's {@code time.ParseDuration} accepts: an optional sign and
 * one or more decimal numbers, each with a unit ({@code ns}, {@code us}, {@code µs}, {@code ms},
 * {@code s}, {@code m}, {@code h}), e.g. {@code 500ms}, {@code 30s}, {@code 1h30m}, {@code 1.5s};
 * the bare number {@code 0} is the only value allowed without a unit. {@link #format} produces Go's
 * {@code Duration.String()} form ({@code 1h30m0s}, {@code 500ms}, {@code 0s}).
 */
public final class GoDuration {

    /** Hint appended to every "not a duration" message. */
    public static final String SYNTAX_HINT = "use Go syntax like 500ms, 30s, 1h30m";

    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger MIN_NANOS_ABS = BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE);

    private GoDuration() {}

    /**
     * Parses Go duration syntax.
     *
     * @throws IllegalArgumentException with a short reason when the text is not a Go duration
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("empty duration");
        }
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        int i = 0;
        boolean negative = false;
        if (s.charAt(0) == '-' || s.charAt(0) == '+') {
            negative = s.charAt(0) == '-';
            i++;
        }
        if (s.substring(i).equals("0")) {
            return Duration.ZERO;
        }
        if (i == s.length()) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\"");
        }
        BigDecimal totalNanos = BigDecimal.ZERO;
        while (i < s.length()) {
            int numStart = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) && s.charAt(i) < 128 || s.charAt(i) == '.')) {
                i++;
            }
            String number = s.substring(numStart, i);
            if (number.isEmpty() || number.equals(".") || number.indexOf('.') != number.lastIndexOf('.')) {
                throw new IllegalArgumentException("invalid duration \"" + text + "\"");
            }
            int unitStart = i;
            while (i < s.length() && !(Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            String unit = s.substring(unitStart, i);
            if (unit.isEmpty()) {
                throw new IllegalArgumentException("missing unit in duration \"" + text + "\"");
            }
            long unitNanos = unitNanos(unit);
            if (unitNanos < 0) {
                throw new IllegalArgumentException("unknown unit \"" + unit + "\" in duration \"" + text + "\"");
            }
            BigDecimal value = new BigDecimal(number.startsWith(".") ? "0" + number : number.endsWith(".") ? number + "0" : number);
            totalNanos = totalNanos.add(value.multiply(BigDecimal.valueOf(unitNanos)));
        }
        BigInteger nanos = totalNanos.toBigInteger(); // Go truncates fractional nanoseconds
        if (nanos.compareTo(negative ? MIN_NANOS_ABS : MAX_NANOS) > 0) {
            throw new IllegalArgumentException("duration \"" + text + "\" is out of range");
        }
        return Duration.ofNanos(negative ? nanos.negate().longValueExact() : nanos.longValueExact());
    }

    /** Like {@link #parse} but returns {@code null} instead of throwing. */
    public static Duration tryParse(String text) {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "\u00b5s", "\u03bcs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> -1L;
        };
    }

    /** Go's {@code Duration.String()}: {@code 0s}, {@code 1.5s}, {@code 500ms}, {@code 100µs}, {@code 1h30m0s}. */
    public static String format(Duration d) {
        if (d == null) {
            return "null";
        }
        BigInteger nanos = BigInteger.valueOf(d.getSeconds()).multiply(BigInteger.valueOf(1_000_000_000L))
                .add(BigInteger.valueOf(d.getNano()));
        if (nanos.signum() == 0) {
            return "0s";
        }
        String sign = nanos.signum() < 0 ? "-" : "";
        BigInteger u = nanos.abs();
        BigInteger second = BigInteger.valueOf(1_000_000_000L);
        if (u.compareTo(second) < 0) {
            long n = u.longValue();
            if (n < 1_000L) {
                return sign + n + "ns";
            } else if (n < 1_000_000L) {
                return sign + fraction(n, 3) + "\u00b5s";
            }
            return sign + fraction(n, 6) + "ms";
        }
        BigInteger[] hoursRem = u.divideAndRemainder(BigInteger.valueOf(3_600_000_000_000L));
        BigInteger[] minRem = hoursRem[1].divideAndRemainder(BigInteger.valueOf(60_000_000_000L));
        String secs = fraction(minRem[1].longValue(), 9) + "s";
        StringBuilder sb = new StringBuilder(sign);
        if (hoursRem[0].signum() > 0) {
            sb.append(hoursRem[0]).append('h').append(minRem[0]).append('m');
        } else if (minRem[0].signum() > 0) {
            sb.append(minRem[0]).append('m');
        }
        return sb.append(secs).toString();
    }

    /** {@code value / 10^digits} with trailing zeros (and a bare point) removed. */
    private static String fraction(long value, int digits) {
        long scale = 1;
        for (int k = 0; k < digits; k++) {
            scale *= 10;
        }
        long whole = value / scale;
        long frac = value % scale;
        if (frac == 0) {
            return Long.toString(whole);
        }
        String f = String.format("%0" + digits + "d", frac).replaceAll("0+$", "");
        return whole + "." + f;
    }
}
