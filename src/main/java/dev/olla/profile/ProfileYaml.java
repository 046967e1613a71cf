package dev.olla.profile;

import java.util.List;
import java.util.Map;

/**
 * The subset of the profile YAML schema that is bound (and type-checked); every other key of the
 * original's schema (detection, resources, path_indices, parsing_rules, features, ...) is accepted
 * and ignored. Property names are snake_case in YAML; {@link ProfileYamlReader} binds them.
 */
record ProfileYaml(String name, String version, String displayName, String description, Routing routing,
        Api api, Characteristics characteristics, Detection detection, Models models, Request request,
        MetricsYaml metrics, CapacityYaml capacity) {

        record CapacityYaml(String source, String path, String propsPath, String metricsPath) {}

        record Routing(List<String> prefixes) {}

        record Api(Boolean openaiCompatible, List<String> paths, String modelDiscoveryPath, String healthCheckPath,
            Anthropic anthropicSupport) {}

        record Anthropic(Boolean enabled, String messagesPath, Boolean tokenCount, String minVersion,
            List<String> limitations) {}

        record Characteristics(Integer defaultPriority, String timeout) {}

        record Detection(List<Integer> defaultPorts) {}

        record Models(Map<String, List<String>> capabilityPatterns, List<ContextPattern> contextPatterns) {}

        record ContextPattern(String pattern, Long context) {}

        record Request(String responseFormat) {}

        record MetricsYaml(Extraction extraction) {}

        record Extraction(Boolean enabled, Map<String, String> paths, Map<String, String> calculations) {}
}
