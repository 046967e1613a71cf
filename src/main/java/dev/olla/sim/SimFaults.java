package dev.olla.sim;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A thread-safe switchboard of faults for one {@link SimulatedBackend}; every switch takes effect for the next
 * request (or immediately, for {@link #refuseConnections(boolean)}) while the backend runs. Setters return
 * {@code this} for chaining; the no-argument overloads read the current value.
 *
 * <p>The stream faults ({@link #errorFirst(int)}, {@link #errorBody200(int)}, {@link #resetAfterRole(int)},
 * {@link #stallAfterHead(Duration, boolean, int)}, {@link #dropAfterTokens(int, int)}) and
 * {@link #loadDelay(Duration, int)} take a {@code requests} budget: the fault hits that many of the next
 * requests it applies to, then turns itself off; {@link #ALL} keeps it on until it is set again or
 * {@link #reset()}; 0 turns it off. When several stream faults are on, one request gets only the first of:
 * errorFirst, resetAfterRole, stallAfterHead, dropAfterTokens (only that one's budget is used).
 * They apply to generations (chat, completions, Ollama's generate) as {@link Wire} produces them, and to
 * the text answers of the Anthropic Messages API ({@code /v1/messages}, see {@link PieceStream}: its error
 * event, its error object as a {@code 200} body, {@code message_start} as the role chunk, the
 * {@code text_delta} events as the tokens); not to tool-call answers.
 */
public final class SimFaults {
    /** A {@code requests} budget that never runs out. */
    public static final int ALL = Integer.MAX_VALUE;

    /** How many of the next requests a switch still hits ({@link #ALL}: every one; 0: off). Thread-safe. */
    private static final class Budget {
        private final AtomicInteger left = new AtomicInteger();

        void set(int requests) {
            if (requests < 0) {
                throw new IllegalArgumentException("requests must be >= 0 (or SimFaults.ALL)");
            }
            left.set(requests);
        }

        int left() {
            return left.get();
        }

        /** Uses one request of the budget; false if none is left. */
        boolean take() {
            while (true) {
                int v = left.get();
                if (v == 0) {
                    return false;
                }
                if (v == ALL || left.compareAndSet(v, v - 1)) {
                    return true;
                }
            }
        }
    }

    /** A stall taken by one stream: how long, and whether the role chunk goes out before it. */
    record Stall(Duration duration, boolean roleChunk) {
    }

    private volatile int httpError;
    private volatile int healthStatus;
    private volatile Duration firstByteDelay = Duration.ZERO;
    private volatile int dropAfterTokens = -1;
    private final Budget dropBudget = new Budget();
    private final Budget errorFirst = new Budget();
    private final Budget errorBody200 = new Budget();
    private final Budget resetAfterRole = new Budget();
    private volatile Stall stall = new Stall(Duration.ZERO, false);
    private final Budget stallBudget = new Budget();
    private volatile Duration loadDelay = Duration.ZERO;
    private final Budget loadBudget = new Budget();
    private volatile boolean refuseConnections;
    private volatile boolean garbageModels;
    private final Consumer<Boolean> refuseHook;

    SimFaults(Consumer<Boolean> refuseHook) {
        this.refuseHook = refuseHook;
    }

    /**
     * Every API request (any route that is not a {@linkplain SimFlavor#isHealthRoute(String) health route})
     * answers this HTTP status with an error body in the flavour's style; 0 turns it off.
     */
    public SimFaults httpError(int status) {
        checkStatus(status);
        this.httpError = status;
        return this;
    }

    /** The current {@link #httpError(int)} status, 0 if off. */
    public int httpError() {
        return httpError;
    }

    /** Health routes answer this HTTP status (with the flavour's error body); 0 = normal. */
    public SimFaults healthStatus(int status) {
        checkStatus(status);
        this.healthStatus = status;
        return this;
    }

    /** The current {@link #healthStatus(int)}, 0 if normal. */
    public int healthStatus() {
        return healthStatus;
    }

    /** Delay before the response headers of every request (health included); zero = off. */
    public SimFaults firstByteDelay(Duration delay) {
        checkDelay(delay);
        this.firstByteDelay = delay;
        return this;
    }

    /** The current {@link #firstByteDelay(Duration)}. */
    public Duration firstByteDelay() {
        return firstByteDelay;
    }

    /**
     * Streaming responses end like a crashed server right after {@code n} tokens (0 = right after the headers):
     * the tokens sent so far are flushed, then the connection is closed with neither the flavour's end
     * ({@code data: [DONE]}, Ollama's {@code "done":true} line) nor the terminating HTTP chunk; -1 = off.
     * Every streamed generation until changed; see {@link #dropAfterTokens(int, int)}.
     */
    public SimFaults dropAfterTokens(int n) {
        return dropAfterTokens(n, n < 0 ? 0 : ALL);
    }

    /** As {@link #dropAfterTokens(int)}, for the next {@code requests} streamed generations only. */
    public SimFaults dropAfterTokens(int n, int requests) {
        if (n < -1) {
            throw new IllegalArgumentException("dropAfterTokens must be >= -1");
        }
        dropBudget.set(n < 0 ? 0 : requests);
        this.dropAfterTokens = n;
        return this;
    }

    /** The current {@link #dropAfterTokens(int)}, -1 if off (or its budget is used up). */
    public int dropAfterTokens() {
        return dropBudget.left() == 0 ? -1 : dropAfterTokens;
    }

    /**
     * The next {@code requests} streamed generations answer {@code 200} with the streaming content type, then
     * an error as the first payload, then the end of the body, in the flavour's real shape: OpenAI and LM Studio
     * {@code data: {"error":{"message":..,"type":"server_error","param":null,"code":null}}}, llama.cpp
     * {@code data: {"error":{"code":500,"message":..,"type":"server_error"}}}, vLLM the same object written by
     * Python's {@code json.dumps} (spaces after {@code :} and {@code ,}) followed by {@code data: [DONE]},
     * Ollama's OpenAI routes the raw JSON object on a line of its own without {@code data: } (as Ollama
     * writes it), Ollama's native routes the NDJSON line {@code {"error":"..."}}, the Anthropic Messages API
     * {@code event: error} with {@code data: {"type":"error","error":{"type":"api_error","message":..}}}.
     * 0 = off, {@link #ALL} = every.
     */
    public SimFaults errorFirst(int requests) {
        errorFirst.set(requests);
        return this;
    }

    /** How many more streams {@link #errorFirst(int)} hits ({@link #ALL}: all, 0: off). */
    public int errorFirst() {
        return errorFirst.left();
    }

    /**
     * The next {@code requests} generations, streamed or not, answer {@code 200} with the flavour's JSON content
     * type, a {@code Content-Length} and the flavour's error object as the whole body (what some servers and
     * gateways do): {@code {"error":{...}}}, or Ollama's native {@code {"error":"..."}}. 0 = off.
     */
    public SimFaults errorBody200(int requests) {
        errorBody200.set(requests);
        return this;
    }

    /** How many more generations {@link #errorBody200(int)} hits. */
    public int errorBody200() {
        return errorBody200.left();
    }

    /**
     * The next {@code requests} streamed generations send the headers and the role-only first chunk (OpenAI
     * chat {@code delta:{"role":"assistant",...}} without content, an empty {@code text} for completions,
     * Ollama's first NDJSON line with empty {@code content}/{@code response}), then about 20 ms later reset
     * the connection (SO_LINGER 0: the peer reads ECONNRESET, no FIN, no terminating chunk). 0 = off.
     */
    public SimFaults resetAfterRole(int requests) {
        resetAfterRole.set(requests);
        return this;
    }

    /** How many more streams {@link #resetAfterRole(int)} hits. */
    public int resetAfterRole() {
        return resetAfterRole.left();
    }

    /**
     * Every streamed generation sends its headers and then nothing for {@code stall} (the connection stays open),
     * then the stream goes on as usual; zero = off. See {@link #stallAfterHead(Duration, boolean, int)}.
     */
    public SimFaults stallAfterHead(Duration stall) {
        return stallAfterHead(stall, false, ALL);
    }

    /**
     * The next {@code requests} streamed generations send their headers (and the role-only chunk of
     * {@link #resetAfterRole(int)} when {@code roleChunk}; without it not even the role chunk that OpenAI and
     * vLLM streams normally send with the headers), then nothing for {@code stall}, then the rest of the stream.
     */
    public SimFaults stallAfterHead(Duration stall, boolean roleChunk, int requests) {
        checkDelay(stall);
        stallBudget.set(stall.isZero() ? 0 : requests);
        this.stall = new Stall(stall, roleChunk);
        return this;
    }

    /** The current {@link #stallAfterHead(Duration)} (zero if off or used up). */
    public Duration stallAfterHead() {
        return stallBudget.left() == 0 ? Duration.ZERO : stall.duration();
    }

    /**
     * Every generation request (POST to a chat, completions, generate or messages route, see
     * {@link SimFlavor#isGenerationRoute(String, String)}) waits {@code delay} before its response headers, like a
     * server loading the model; health checks, model lists and every other route answer at once. Zero = off.
     * Unlike {@link #firstByteDelay(Duration)}, which delays every route.
     */
    public SimFaults loadDelay(Duration delay) {
        return loadDelay(delay, ALL);
    }

    /** As {@link #loadDelay(Duration)}, for the next {@code requests} generation requests only. */
    public SimFaults loadDelay(Duration delay, int requests) {
        checkDelay(delay);
        loadBudget.set(delay.isZero() ? 0 : requests);
        this.loadDelay = delay;
        return this;
    }

    /** The current {@link #loadDelay(Duration)} (zero if off or used up). */
    public Duration loadDelay() {
        return loadBudget.left() == 0 ? Duration.ZERO : loadDelay;
    }

    // the backend's side: each take uses one request of the switch's budget

    int takeDropAfterTokens() {
        int n = dropAfterTokens;
        return n >= 0 && dropBudget.take() ? n : -1;
    }

    boolean takeErrorFirst() {
        return errorFirst.take();
    }

    boolean takeErrorBody200() {
        return errorBody200.take();
    }

    boolean takeResetAfterRole() {
        return resetAfterRole.take();
    }

    /** The stall for one stream, or null. */
    Stall takeStall() {
        Stall s = stall;
        return !s.duration().isZero() && stallBudget.take() ? s : null;
    }

    long takeLoadDelayNanos() {
        Duration d = loadDelay;
        return !d.isZero() && loadBudget.take() ? d.toNanos() : 0;
    }

    private static void checkDelay(Duration d) {
        Objects.requireNonNull(d, "duration");
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration");
        }
    }

    /**
     * {@code true} unbinds the listening socket, so new connections are refused, and closes the connections
     * already open (like a stopped process); {@code false} binds the same port again. Returns once done.
     *
     * @throws IllegalStateException if the port cannot be bound again
     */
    public SimFaults refuseConnections(boolean refuse) {
        synchronized (this) {
            this.refuseConnections = refuse;
            refuseHook.accept(refuse);
        }
        return this;
    }

    /** Whether connections are currently refused. */
    public boolean refuseConnections() {
        return refuseConnections;
    }

    /** Model-list routes answer 200 with a body that is not valid JSON. */
    public SimFaults garbageModels(boolean garbage) {
        this.garbageModels = garbage;
        return this;
    }

    /** Whether {@link #garbageModels(boolean)} is on. */
    public boolean garbageModels() {
        return garbageModels;
    }

    /** Turns every fault off (and binds the port again if connections were refused). */
    public SimFaults reset() {
        httpError = 0;
        healthStatus = 0;
        firstByteDelay = Duration.ZERO;
        dropAfterTokens(-1);
        errorFirst.set(0);
        errorBody200.set(0);
        resetAfterRole.set(0);
        stallAfterHead(Duration.ZERO, false, 0);
        loadDelay(Duration.ZERO, 0);
        garbageModels = false;
        if (refuseConnections) {
            refuseConnections(false);
        }
        return this;
    }

    private static void checkStatus(int status) {
        if (status != 0 && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
    }

    @Override
    public String toString() {
        return "SimFaults[httpError=" + httpError + ", healthStatus=" + healthStatus + ", firstByteDelay=" + firstByteDelay
                + ", dropAfterTokens=" + dropAfterTokens() + ", errorFirst=" + errorFirst() + ", errorBody200=" + errorBody200()
                + ", resetAfterRole=" + resetAfterRole() + ", stallAfterHead=" + stallAfterHead() + ", loadDelay=" + loadDelay()
                + ", refuseConnections=" + refuseConnections
                + ", garbageModels=" + garbageModels + "]";
    }
}
