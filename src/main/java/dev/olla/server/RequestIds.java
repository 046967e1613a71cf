package dev.olla.server;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids in the original's style, e.g. {@code suri-grazing-1a2b}; a client's own id is kept. */
final class RequestIds {
    private static final String[] LLAMAS = {
        "suri", "huacaya", "alpaca", "guanaco", "vicuna", "llama", "cria", "paco", "tuki", "wawa",
        "inti", "killa", "nina", "sami", "tika", "yaku"
    };
    private static final String[] ACTIONS = {
        "grazing", "humming", "spitting", "wandering", "resting", "trotting", "chewing", "gazing",
        "climbing", "napping", "prancing", "sniffing", "strolling", "basking", "leaping", "dozing"
    };
    private static final int MAX_CLIENT_ID = 128;

    private RequestIds() {}

    static String fromClientOrNew(String clientId) {
        if (clientId != null && !clientId.isBlank()) {
            String id = clientId.length() > MAX_CLIENT_ID ? clientId.substring(0, MAX_CLIENT_ID) : clientId;
            return sanitize(id);
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int bits = r.nextInt();
        return LLAMAS[bits & 15] + '-' + ACTIONS[(bits >>> 4) & 15] + '-'
                + Integer.toHexString(0x10000 | ((bits >>> 8) & 0xffff)).substring(1);
    }

    /** Header values must not carry control characters. */
    private static String sanitize(String id) {
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return fromClientOrNew(null);
            }
        }
        return id;
    }
}
