package dev.olla.translate;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Anthropic-style ids: a prefix plus base58 of 16 random bytes ({@code msg_01...}, {@code toolu_01...}). */
final class MessageIds {
    private static final String ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final BigInteger BASE = BigInteger.valueOf(58);
    private static final SecureRandom RANDOM = new SecureRandom();

    private MessageIds() {}

    static String messageId() {
        return "msg_01" + base58(randomBytes());
    }

    static String toolUseId() {
        return "toolu_01" + base58(randomBytes());
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** Bitcoin-alphabet base58, a leading '1' per leading zero byte (as the original encodes it). */
    static String base58(byte[] input) {
        BigInteger num = new BigInteger(1, input);
        if (num.signum() == 0) {
            return "1";
        }
        StringBuilder sb = new StringBuilder();
        while (num.signum() > 0) {
            BigInteger[] qr = num.divideAndRemainder(BASE);
            sb.append(ALPHABET.charAt(qr[1].intValue()));
            num = qr[0];
        }
        for (byte b : input) {
            if (b != 0) {
                break;
            }
            sb.append('1');
        }
        return sb.reverse().toString();
    }
}
