package dev.olla.profile;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;
import java.util.Map;

/**
 * The subset of the profile YAML schema that is bound (and type-checked); every other key of the
 * original's schema (detection, resources, path_indices, parsing_rules, features, ...) is accepted
 * and ignored. Property names are snake_case in YAML.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ProfileYaml(String name, String version, String displayName, String description, Routing routing,
        Api api, Characteristics characteristics, Detection detection, Models models, Request request,
        MetricsYaml metrics, CapacityYaml capacity) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    record CapacityYaml(String source, String path, String propsPath, String metricsPath) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Routing(List<String> prefixes) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Api(Boolean openaiCompatible, List<String> paths, String modelDiscoveryPath, String healthCheckPath,
            Anthropic anthropicSupport) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Anthropic(Boolean enabled, String messagesPath, Boolean tokenCount, String minVersion,
            List<String> limitations) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Characteristics(Integer defaultPriority, String timeout) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Detection(List<Integer> defaultPorts) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Models(Map<String, List<String>> capabilityPatterns, List<ContextPattern> contextPatterns) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ContextPattern(String pattern, Long context) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Request(String responseFormat) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record MetricsYaml(Extraction extraction) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Extraction(Boolean enabled, Map<String, String> paths, Map<String, String> calculations) {}
}
