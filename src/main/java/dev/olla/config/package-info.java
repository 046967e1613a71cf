/**
 * Configuration: the {@link dev.olla.config.OllaConfig} record model and how it is loaded.
 *
 * <ul>
 *   <li>{@link dev.olla.config.ConfigLoader#load} - defaults ({@code defaults.yaml} resource, the only
 *       place defaults live) + YAML file + {@code OLLA_*} environment overrides, bound and validated;
 *       returns a {@link dev.olla.config.LoadedConfig} (config, source, warnings) or throws
 *       {@link dev.olla.config.ConfigException} listing every problem, one line each.</li>
 *   <li>{@link dev.olla.config.ConfigReport} - the {@code olla validate} report.</li>
 *   <li>{@link dev.olla.config.EndpointAuth} - headers for an endpoint's {@code auth}/{@code headers}.</li>
 *   <li>{@link dev.olla.config.GoDuration}, {@link dev.olla.config.ByteSize}, {@link dev.olla.config.Cidr},
 *       {@link dev.olla.config.ConfigEnums} - value syntaxes shared with the rest of the program.</li>
 *   <li>{@link dev.olla.config.EnvOverrides#variables()} - the supported environment variables.</li>
 * </ul>
 */
package dev.olla.config;
