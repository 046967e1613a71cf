package dev.olla.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The simulated backends one test starts, closed together by {@link #close()} (call it from the test's
 * {@code @AfterEach}). Every backend listens on 127.0.0.1, on an ephemeral port.
 */
public final class SimBackends implements AutoCloseable {
    private final List<SimulatedBackend> started = new ArrayList<>();

    /** Starts a backend of {@code flavor} set up by {@code setup} (models, tokens, delays, version...). */
    public SimulatedBackend start(SimFlavor flavor, UnaryOperator<SimulatedBackend.Builder> setup) {
        SimulatedBackend s = setup.apply(SimulatedBackend.builder(flavor).host("127.0.0.1").port(0)).build().start();
        started.add(s);
        return s;
    }

    /** An Ollama serving {@code models}, answering {@code tokens} tokens without delay. */
    public SimulatedBackend ollama(int tokens, String... models) {
        return start(SimFlavor.OLLAMA, b -> b.modelNames(models).tokens(tokens).interTokenDelay(Duration.ZERO));
    }

    /** The backends started so far, in order. */
    public List<SimulatedBackend> all() {
        return List.copyOf(started);
    }

    /** The {@code i}-th backend started. */
    public SimulatedBackend get(int i) {
        return started.get(i);
    }

    /** Stops every backend started (idempotent). */
    @Override
    public void close() {
        started.forEach(SimulatedBackend::close);
        started.clear();
    }
}
