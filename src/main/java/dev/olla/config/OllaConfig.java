package dev.olla.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The whole Olla configuration after merging embedded defaults, the YAML file and the {@code OLLA_*}
 * environment overrides. Immutable; field names map to the YAML keys in snake_case
 * (e.g. {@code modelRegistry} = {@code model_registry}).
 */
public record OllaConfig(
        Server server,
        Proxy proxy,
        Discovery discovery,
        ModelRegistry modelRegistry,
        Map<String, List<String>> modelAliases,
        Translators translators,
        Logging logging,
        Engineering engineering,
        Dashboard dashboard,
        State state,
        Reload reload) {

    // ---------------------------------------------------------------- server
    public record Server(
            String host,
            int port,
            Duration readTimeout,
            Duration readHeaderTimeout,
            Duration writeTimeout,
            Duration idleTimeout,
            Duration shutdownTimeout,
            boolean requestLogging,
            RequestLimits requestLimits,
            RateLimits rateLimits,
            Cors cors) {}

    public record RequestLimits(long maxBodySize, long maxHeaderSize) {}

    public record RateLimits(
            int globalRequestsPerMinute,
            int perIpRequestsPerMinute,
            int healthRequestsPerMinute,
            int burstSize,
            Duration cleanupInterval,
            boolean trustProxyHeaders,
            List<String> trustedProxyCidrs) {}

    public record Cors(
            boolean enabled,
            List<String> allowedOrigins,
            List<String> allowedMethods,
            List<String> allowedHeaders,
            List<String> exposedHeaders,
            boolean allowCredentials,
            int maxAge) {}

    // ---------------------------------------------------------------- proxy
    public enum Engine { SHERPA, OLLA }

    public enum ProxyProfile { AUTO, STREAMING, STANDARD }

    public enum LoadBalancer { PRIORITY, ROUND_ROBIN, LEAST_CONNECTIONS, CAPACITY }

    public record Proxy(
            Engine engine,
            ProxyProfile profile,
            LoadBalancer loadBalancer,
            /* 0 = engine default (sherpa 8 KiB, olla 64 KiB). */
            int streamBufferSize,
            Duration connectionTimeout,
            Duration connectionKeepAlive,
            Duration responseTimeout,
            Duration readTimeout,
            Duration responseHeaderTimeout,
            Duration tlsHandshakeTimeout,
            Retry retry,
            StickySessions stickySessions,
            Filter profileFilter,
            /* When no candidate is routable, try the one most recently healthy instead of refusing. */
            boolean lastResort,
            /* Percent of routable candidates below which health is ignored for balancing; 0 = off. */
            int panicThreshold,
            /* Open an endpoint's breaker after this many consecutive 5xx answers; 0 = off. */
            int consecutive5xx,
            /* The largest non-streamed response held to be sent whole (bytes; 0 = no limit). */
            long maxResponseBuffer,
            /* Open connections per backend (olla: per endpoint; sherpa: per host:port); 0 = no limit. */
            int maxConnectionsPerEndpoint,
            Capacity capacity,
            Queue queue,
            /* Streamed generation: send the head only with the first content-bearing chunk; fail over before it. */
            boolean holdFirstToken,
            /* No content chunk within this from an attempt's start: fail over (held requests); 0 = none. */
            Duration firstTokenTimeout,
            /* ': keep-alive' SSE comments until the first content chunk (SSE routes only); 0 = none. */
            Duration sseKeepaliveInterval) {}

    /** Polling of each backend's slots and loaded models ({@code dev.olla.capacity}). */
    public record Capacity(boolean enabled, Duration pollInterval, Duration pollTimeout) {}

    /** Requests wait here, fairly across clients, while every candidate is at its cap. */
    public record Queue(boolean enabled, int maxSize, Duration timeout, Duration keepAliveInterval) {}

    /** {@code maxAttempts} 0 = try every candidate once. */
    public record Retry(boolean enabled, boolean onConnectionFailure, int maxAttempts) {}

    public record StickySessions(
            boolean enabled,
            long idleTtlSeconds,
            int maxSessions,
            List<String> keySources,
            int prefixHashBytes) {}

    /** Include/exclude glob lists; empty include = everything. */
    public record Filter(List<String> include, List<String> exclude) {
        public static final Filter ALL = new Filter(List.of(), List.of());
    }

    // ---------------------------------------------------------------- discovery
    public record Discovery(
            String type,
            Duration refreshInterval,
            Static staticConfig,
            HealthCheck healthCheck,
            ModelDiscovery modelDiscovery) {}

    /** {@code discovery.static}. */
    public record Static(List<Endpoint> endpoints) {}

    public record Endpoint(
            String url,
            String name,
            String type,
            int priority,
            boolean preservePath,
            /* null = profile default. */
            String healthCheckUrl,
            /* null = profile default. */
            String modelUrl,
            Duration checkInterval,
            Duration checkTimeout,
            Filter modelFilter,
            /* null = no auth. */
            Auth auth,
            Map<String, String> headers,
            int weight,
            int maxConcurrent) {

        /** Header values may carry secrets: only their names are shown. */
        @Override
        public String toString() {
            return "Endpoint[url=" + url + ", name=" + name + ", type=" + type + ", priority=" + priority
                    + ", preservePath=" + preservePath + ", healthCheckUrl=" + healthCheckUrl + ", modelUrl=" + modelUrl
                    + ", checkInterval=" + checkInterval + ", checkTimeout=" + checkTimeout + ", modelFilter=" + modelFilter
                    + ", auth=" + auth + ", headers=" + (headers == null ? null : headers.keySet() + " (values hidden)")
                    + ", weight=" + weight + ", maxConcurrent=" + maxConcurrent + "]";
        }
    }

    /** Endpoint credentials; values are already ${VAR}-expanded and *_file-resolved. */
    public record Auth(
            String type,
            String token,
            String tokenFile,
            String key,
            String keyFile,
            String header,
            String username,
            String usernameFile,
            String password,
            String passwordFile) {

        /** Secrets (token, key, username, password) are masked; file paths and the header name are shown. */
        @Override
        public String toString() {
            return "Auth[type=" + type + ", token=" + mask(token) + ", tokenFile=" + tokenFile + ", key=" + mask(key)
                    + ", keyFile=" + keyFile + ", header=" + header + ", username=" + mask(username) + ", usernameFile="
                    + usernameFile + ", password=" + mask(password) + ", passwordFile=" + passwordFile + "]";
        }

        private static String mask(String secret) {
            return secret == null ? null : "***";
        }
    }

    public record HealthCheck(Duration initialDelay) {}

    public record ModelDiscovery(
            boolean enabled,
            Duration interval,
            Duration timeout,
            int concurrentWorkers,
            int retryAttempts,
            Duration retryBackoff) {}

    // ---------------------------------------------------------------- model registry
    public enum RoutingStrategyType { STRICT, OPTIMISTIC, DISCOVERY }

    public enum FallbackBehavior { COMPATIBLE_ONLY, ALL, NONE }

    public record ModelRegistry(
            String type,
            boolean enableUnifier,
            RoutingStrategy routingStrategy,
            Unification unification) {}

    public record RoutingStrategy(RoutingStrategyType type, RoutingOptions options) {}

    public record RoutingOptions(
            FallbackBehavior fallbackBehavior,
            Duration discoveryTimeout,
            boolean discoveryRefreshOnMiss) {}

    public record Unification(Duration staleThreshold, Duration cleanupInterval) {}

    // ---------------------------------------------------------------- translators
    public record Translators(Anthropic anthropic) {}

    public record Anthropic(
            boolean enabled,
            boolean passthroughEnabled,
            long maxMessageSize,
            Inspector inspector) {}

    public record Inspector(boolean enabled, String outputDir, String sessionHeader) {}

    // ---------------------------------------------------------------- logging etc.
    public record Logging(String level, String format, String output) {}

    public record Engineering(boolean showNerdstats) {}

    public record Dashboard(boolean enabled, AccessPolicy accessPolicy) {}

    public record AccessPolicy(List<String> allowedCidrs, List<String> allowedHosts) {}

    // ---------------------------------------------------------------- many instances
    /** {@code state}: where sticky pins, rate-limit buckets and endpoint observations live. */
    public record State(String type, Redis redis) {
        public boolean redisEnabled() {
            return type != null && type.strip().equalsIgnoreCase("redis");
        }
    }

    /** {@code state.redis}; the password is already ${VAR}-expanded / read from password_file. */
    public record Redis(
            String url,
            String username,
            String password,
            String passwordFile,
            String keyPrefix,
            Duration connectTimeout,
            Duration commandTimeout,
            Duration retryInterval) {

        @Override
        public String toString() {
            return "Redis[url=" + url + ", username=" + username + ", password=" + (password == null ? null : "***")
                    + ", passwordFile=" + passwordFile + ", keyPrefix=" + keyPrefix + "]";
        }
    }

    /** {@code reload}: re-read the configuration on SIGHUP (always) and, opt-in, when the file changes. */
    public record Reload(boolean watch, Duration watchInterval) {}
}
