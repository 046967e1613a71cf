/**
 * Simulated LLM servers for integration tests, benchmarks and {@code olla demo}.
 *
 * <p>{@link dev.olla.sim.SimulatedBackend} starts a small Netty HTTP/1.1 server that speaks the wire format of
 * one {@link dev.olla.sim.SimFlavor} (Ollama, a generic OpenAI-compatible server, vLLM, LM Studio or
 * llama.cpp), serves a configurable list of {@link dev.olla.sim.SimModel}s, generates deterministic tokens
 * ({@link dev.olla.sim.SimulatedBackend#tokenText(int)}) with a configurable inter-token delay, and can be
 * made to misbehave at runtime through its {@link dev.olla.sim.SimFaults} switchboard: HTTP errors, refused
 * connections, delays before the headers of every route ({@code firstByteDelay}) or of generations only, like a
 * model loading ({@code loadDelay}), and stream faults in each flavour's real bytes (its Anthropic Messages API's
 * too, where it has one): an error event as the first
 * payload of a {@code 200} stream ({@code errorFirst}), {@code 200} with an error object as the body
 * ({@code errorBody200}), a reset after the role-only chunk ({@code resetAfterRole}), a stall after the headers
 * ({@code stallAfterHead}), a crash after N tokens ({@code dropAfterTokens}); each for the next N requests or
 * all ({@link dev.olla.sim.SimFaults#ALL}). What it saw is exposed
 * by {@link dev.olla.sim.SimStats}. {@link dev.olla.sim.SimCli} starts simulators from the command line.
 */
package dev.olla.sim;
