/**
 * Models: discovery, the unified registry, model routing and list formats.
 *
 * <ul>
 * <li>{@link dev.olla.model.ModelRegistry}: per-endpoint model sets and the unified catalogue (immutable
 * snapshot swapped atomically; lock-free reads on the request path).</li>
 * <li>{@link dev.olla.model.ModelDiscovery}: schedules discovery (periodic, on recovery, on demand,
 * retries) on an injected {@code Scheduler}; {@code ModelFetcher} asks the backend through the shared
 * {@code BackendGet} and parses ({@link dev.olla.model.ModelListParser}) on virtual threads;
 * {@code DiscoveryResults} updates the registry.</li>
 * <li>{@link dev.olla.model.ModelRouter}: the {@link dev.olla.model.ModelRouting} the proxy calls
 * (strategies strict / optimistic / discovery, aliases with body rewrite).</li>
 * <li>{@link dev.olla.model.ModelListings}: the JSON shapes; {@code dev.olla.route.ModelRoutes} serves them.</li>
 * </ul>
 *
 * <p>Wiring (in {@code Generation.build}): {@code ModelRegistry.from(config.modelRegistry(), endpoints)};
 * {@code new ModelDiscovery(endpoints, models, Settings.from(config), scheduler)} (the generation's one
 * background {@code Scheduler}, shared with health and capacity); register {@code discovery::onRecovered} as a
 * health recovery listener and {@code discovery::onStatusChanged} as a status listener; after the first
 * health pass {@code discovery.runInitialPass(timeout)} then {@code discovery.start()};
 * {@code ModelRouter.create(config, models, discovery)} into {@code ProxyService};
 * {@code ModelRoutes.register(router, models, endpoints, profiles, discovery)}; close discovery on shutdown.
 */
package dev.olla.model;
