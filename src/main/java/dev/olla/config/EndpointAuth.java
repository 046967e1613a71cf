package dev.olla.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Endpoint credentials ({@code auth:}) and custom {@code headers:}: resolution at load time
 * ({@code ${VAR}} / {@code ${VAR:-default}} expansion, {@code *_file} reading) and the headers to send.
 *
 * <p>Types: {@code bearer} (token | token_file) sends {@code Authorization: Bearer <token>};
 * {@code api_key} (key | key_file, header default {@code X-Api-Key}) sends {@code <header>: <key>};
 * {@code basic} (username | username_file, password | password_file) sends
 * {@code Authorization: Basic base64(username:password)}.
 */
public final class EndpointAuth {

    public static final String BEARER = "bearer";
    public static final String API_KEY = "api_key";
    public static final String BASIC = "basic";

    private static final List<String> TYPES = List.of(BEARER, API_KEY, BASIC);

    private EndpointAuth() {}

    /**
     * The header(s) a resolved {@link OllaConfig.Auth} adds to outbound requests (proxied requests, health
     * probes, model discovery). Empty for {@code null}.
     */
    public static Map<String, String> authHeaders(OllaConfig.Auth auth) {
        if (auth == null || auth.type() == null) {
            return Map.of();
        }
        return switch (auth.type().toLowerCase(Locale.ROOT)) {
            case BEARER -> Map.of("Authorization", "Bearer " + auth.token());
            case API_KEY -> Map.of(auth.header() == null || auth.header().isBlank() ? "X-Api-Key" : auth.header(), auth.key());
            case BASIC -> Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (auth.username() + ":" + auth.password()).getBytes(StandardCharsets.UTF_8)));
            default -> Map.of();
        };
    }

    /**
     * All headers to add to a request to {@code endpoint}: its custom {@code headers}, then its auth
     * header(s), which win over a custom header of the same name (case-insensitive).
     */
    public static Map<String, String> requestHeaders(OllaConfig.Endpoint endpoint) {
        Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (endpoint.headers() != null) {
            out.putAll(endpoint.headers());
        }
        Map<String, String> auth = authHeaders(endpoint.auth());
        auth.keySet().forEach(out::remove);
        Map<String, String> ordered = new LinkedHashMap<>(out);
        ordered.putAll(auth);
        return ordered;
    }

    /** Names of the headers carrying this endpoint's credentials (to strip them from backend responses). */
    public static Set<String> authHeaderNames(OllaConfig.Auth auth) {
        return authHeaders(auth).keySet();
    }

    /**
     * Expands {@code ${VAR}} and {@code ${VAR:-default}} (the default applies when VAR is unset or
     * empty). A lone {@code $} is kept as is.
     *
     * @throws IllegalArgumentException {@code required environment variable "X" is not set}, or a
     *     syntax problem
     */
    public static String expand(String text, Map<String, String> env) {
        if (text == null || text.indexOf("${") < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int start = text.indexOf("${", i);
            if (start < 0) {
                out.append(text, i, text.length());
                break;
            }
            out.append(text, i, start);
            int end = text.indexOf('}', start + 2);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated \"${\" in value");
            }
            String expr = text.substring(start + 2, end);
            int sep = expr.indexOf(":-");
            String name = sep < 0 ? expr : expr.substring(0, sep);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("\"${" + expr + "}\" is not a valid variable reference (use ${NAME} or ${NAME:-default})");
            }
            String value = env.get(name);
            if (sep >= 0) {
                out.append(value == null || value.isEmpty() ? expr.substring(sep + 2) : value);
            } else if (value == null) {
                throw new IllegalArgumentException("required environment variable \"" + name + "\" is not set");
            } else {
                out.append(value);
            }
            i = end + 1;
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ load-time resolution

    /** Resolves and validates {@code raw}; returns null (after reporting) when it cannot be used. */
    static OllaConfig.Auth resolve(OllaConfig.Auth raw, String endpointName, String path, Map<String, String> env,
            Path workingDir, Problems problems) {
        if (raw == null) {
            return null;
        }
        String type = raw.type() == null ? "" : raw.type().strip().toLowerCase(Locale.ROOT);
        if (type.isEmpty()) {
            problems.error(path + ".type", "required (one of " + String.join(", ", TYPES) + ")");
            return null;
        }
        if (!TYPES.contains(type)) {
            problems.error(path + ".type", TreeBinder.quote(raw.type()) + " is not one of " + String.join(", ", TYPES));
            return null;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("token", raw.token());
        fields.put("token_file", raw.tokenFile());
        fields.put("key", raw.key());
        fields.put("key_file", raw.keyFile());
        fields.put("header", raw.header());
        fields.put("username", raw.username());
        fields.put("username_file", raw.usernameFile());
        fields.put("password", raw.password());
        fields.put("password_file", raw.passwordFile());
        Set<String> allowed = switch (type) {
            case BEARER -> Set.of("token", "token_file");
            case API_KEY -> Set.of("key", "key_file", "header");
            default -> Set.of("username", "username_file", "password", "password_file");
        };
        boolean ok = true;
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (f.getValue() != null && !allowed.contains(f.getKey())) {
                problems.error(path + "." + f.getKey(), "not used by auth type " + type
                        + " (it takes " + String.join(", ", allowed.stream().sorted().toList()) + ")");
                ok = false;
            }
        }
        Ctx ctx = new Ctx(endpointName, path, env, workingDir, problems);
        switch (type) {
            case BEARER -> {
                String token = ctx.credential("bearer", "token", raw.token(), raw.tokenFile());
                return ok && token != null ? new OllaConfig.Auth(type, token, raw.tokenFile(), null, null, null,
                        null, null, null, null) : null;
            }
            case API_KEY -> {
                String key = ctx.credential("api_key", "key", raw.key(), raw.keyFile());
                String header = raw.header() == null ? null : raw.header().strip();
                if (header == null || header.isEmpty()) {
                    problems.error(path + ".header", "must not be empty");
                    ok = false;
                } else if (!isToken(header)) {
                    problems.error(path + ".header", TreeBinder.quote(header) + " is not a valid header name");
                    ok = false;
                }
                return ok && key != null ? new OllaConfig.Auth(type, null, null, key, raw.keyFile(), header,
                        null, null, null, null) : null;
            }
            default -> {
                String user = ctx.credential("basic", "username", raw.username(), raw.usernameFile());
                String password = ctx.credential("basic", "password", raw.password(), raw.passwordFile());
                return ok && user != null && password != null ? new OllaConfig.Auth(type, null, null, null, null,
                        null, user, raw.usernameFile(), password, raw.passwordFile()) : null;
            }
        }
    }

    /** Expands the values of custom headers; null (after reporting) when any fails. */
    static Map<String, String> resolveHeaders(Map<String, String> headers, String endpointName, String path,
            Map<String, String> env, Problems problems) {
        Map<String, String> out = new LinkedHashMap<>();
        boolean ok = true;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            String name = h.getKey();
            String entryPath = path + "[" + TreeBinder.quote(name) + "]";
            if (!isToken(name)) {
                problems.error(entryPath, TreeBinder.quote(name) + " is not a valid header name");
                ok = false;
                continue;
            }
            try {
                String value = expand(h.getValue(), env);
                if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                    problems.error(entryPath, "value must not contain line breaks");
                    ok = false;
                    continue;
                }
                out.put(name, value);
            } catch (IllegalArgumentException e) {
                problems.errorLine("endpoint " + TreeBinder.quote(endpointName) + ": header " + TreeBinder.quote(name)
                        + ": " + e.getMessage());
                ok = false;
            }
        }
        return ok ? java.util.Collections.unmodifiableMap(out) : null;
    }

    /** RFC 9110 token characters. */
    static boolean isToken(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (char c : s.toCharArray()) {
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private record Ctx(String endpoint, String path, Map<String, String> env, Path workingDir, Problems problems) {

        /** Exactly one of value/file; expanded or read; non-empty. Null (after reporting) on failure. */
        String credential(String type, String field, String value, String file) {
            String prefix = "endpoint " + TreeBinder.quote(endpoint) + ": " + type + " " + field;
            if (value != null && file != null) {
                problems.error(path + "." + field, "set either " + field + " or " + field + "_file, not both");
                return null;
            }
            if (value == null && file == null) {
                problems.error(path + "." + field, "auth type " + type + " needs " + field + " or " + field + "_file");
                return null;
            }
            String resolved;
            if (value != null) {
                try {
                    resolved = expand(value, env);
                } catch (IllegalArgumentException e) {
                    problems.errorLine(prefix + ": " + e.getMessage());
                    return null;
                }
            } else {
                Path p = Path.of(file.strip());
                if (!p.isAbsolute() && workingDir != null) {
                    p = workingDir.resolve(p);
                }
                try {
                    resolved = Files.readString(p, StandardCharsets.UTF_8).strip();
                } catch (NoSuchFileException e) {
                    problems.errorLine(prefix + "_file: file " + TreeBinder.quote(p.toString()) + " does not exist");
                    return null;
                } catch (IOException | RuntimeException e) {
                    problems.errorLine(prefix + "_file: cannot read " + TreeBinder.quote(p.toString()) + ": "
                            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
                    return null;
                }
            }
            if (resolved.isEmpty()) {
                problems.errorLine(prefix + " is empty" + (file != null ? " (file " + TreeBinder.quote(file) + ")" : ""));
                return null;
            }
            if (resolved.indexOf('\r') >= 0 || resolved.indexOf('\n') >= 0) {
                problems.errorLine(prefix + " must not contain line breaks");
                return null;
            }
            return resolved;
        }
    }
}
