package dev.olla.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code ::1/128}), parsed without any
 * DNS lookup. Host bits may be set ({@code 10.1.2.3/8} is the network {@code 10.0.0.0/8}), as with Go's
 * {@code net.ParseCIDR}. IPv4-mapped IPv6 peers ({@code ::ffff:10.0.0.1}) match IPv4 networks.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * Parses {@code address/prefix}.
     *
     * @throws IllegalArgumentException when the text is not a CIDR
     */
    public static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("not a CIDR");
        }
        String s = text.strip();
        int slash = s.indexOf('/');
        if (slash <= 0 || slash == s.length() - 1) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR (use address/prefix, e.g. 10.0.0.0/8)");
        }
        byte[] addr = parseAddress(s.substring(0, slash));
        String prefixText = s.substring(slash + 1);
        int bits = addr == null ? 0 : addr.length * 8;
        int prefix = -1;
        if (prefixText.matches("\\d{1,3}")) {
            prefix = Integer.parseInt(prefixText);
        }
        if (addr == null || prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR (use address/prefix, e.g. 10.0.0.0/8)");
        }
        return new Cidr(mask(addr, prefix), prefix, s);
    }

    /** True when {@code text} parses as a CIDR. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether {@code address} lies in this network. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
            a = Arrays.copyOfRange(a, 12, 16);
        }
        if (a.length != network.length) {
            return false;
        }
        return Arrays.equals(mask(a, prefix), network);
    }

    public int prefixLength() {
        return prefix;
    }

    /** The network address (host bits cleared). */
    public InetAddress networkAddress() {
        try {
            return InetAddress.getByAddress(network);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] addr, int prefix) {
        byte[] out = addr.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff << (8 - keep)));
        }
        return out;
    }

    /** Parses a literal IPv4 (strict dotted quad) or IPv6 address; null if it is neither. */
    static byte[] parseAddress(String s) {
        if (s.indexOf(':') < 0) {
            String[] parts = s.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            byte[] out = new byte[4];
            for (int i = 0; i < 4; i++) {
                if (!parts[i].matches("\\d{1,3}")) {
                    return null;
                }
                int v = Integer.parseInt(parts[i]);
                if (v > 255) {
                    return null;
                }
                out[i] = (byte) v;
            }
            return out;
        }
        if (!s.matches("[0-9A-Fa-f:.]+")) {
            return null;
        }
        try {
            // A string with ':' is only ever treated as a literal: no DNS lookup happens here.
            InetAddress a = InetAddress.getByName(s);
            byte[] b = a.getAddress();
            if (a instanceof Inet4Address) { // "::ffff:1.2.3.4" is returned as IPv4; keep it IPv6-sized
                byte[] v6 = new byte[16];
                v6[10] = (byte) 0xff;
                v6[11] = (byte) 0xff;
                System.arraycopy(b, 0, v6, 12, 4);
                return v6;
            }
            return b;
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
