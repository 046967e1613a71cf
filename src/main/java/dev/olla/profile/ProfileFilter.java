package dev.olla.profile;

import java.util.List;
import java.util.Locale;

/**
 * {@code proxy.profile_filter} and capability-pattern globs. Case-insensitive; {@code *} matches any
 * run of characters. This covers the original's rules ({@code *} alone = everything, {@code *x*}
 * contains, {@code *x} suffix, {@code x*} prefix, anything else exact) and also a {@code *} in the
 * middle ({@code qwen*coder*}), which the shipped capability patterns use.
 */
public final class ProfileFilter {

    private ProfileFilter() {}

    /** Whether {@code text} matches {@code glob} (case-insensitive). Null on either side never matches. */
    public static boolean matches(String glob, String text) {
        if (glob == null || text == null) {
            return false;
        }
        String p = glob.trim().toLowerCase(Locale.ROOT);
        String s = text.toLowerCase(Locale.ROOT);
        int pi = 0;
        int si = 0;
        int star = -1;
        int mark = 0;
        while (si < s.length()) {
            if (pi < p.length() && p.charAt(pi) == '*') {
                star = pi++;
                mark = si;
            } else if (pi < p.length() && p.charAt(pi) == s.charAt(si)) {
                pi++;
                si++;
            } else if (star >= 0) {
                pi = star + 1;
                si = ++mark;
            } else {
                return false;
            }
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }

    /** Whether any glob in the list matches. */
    public static boolean matchesAny(List<String> globs, String text) {
        if (globs == null) {
            return false;
        }
        for (String g : globs) {
            if (matches(g, text)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The filter decision for one name: excluded if any exclude glob matches (exclude wins); else
     * kept if the include list is empty or any include glob matches. Null lists are empty.
     */
    public static boolean allowed(String name, List<String> include, List<String> exclude) {
        if (matchesAny(exclude, name)) {
            return false;
        }
        return include == null || include.isEmpty() || matchesAny(include, name);
    }
}
