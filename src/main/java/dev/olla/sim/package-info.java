/**
 * Simulated LLM servers for integration tests, benchmarks and {@code olla demo}.
 *
 * <p>{@link dev.olla.sim.SimulatedBackend} starts a small Netty HTTP/1.1 server that speaks the wire format of
 * one {@link dev.olla.sim.SimFlavor} (Ollama, a generic OpenAI-compatible server, vLLM, LM Studio or
 * llama.cpp), serves a configurable list of {@link dev.olla.sim.SimModel}s, generates deterministic tokens
 * ({@link dev.olla.sim.SimulatedBackend#tokenText(int)}) with a configurable inter-token delay, and can be
 * made to misbehave at runtime through its {@link dev.olla.sim.SimFaults} switchboard. What it saw is exposed
 * by {@link dev.olla.sim.SimStats}. {@link dev.olla.sim.SimCli} starts simulators from the command line.
 */
package dev.olla.sim;
