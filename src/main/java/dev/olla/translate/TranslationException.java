package dev.olla.translate;

/** A request the Anthropic translator refuses, with the HTTP status to answer (400 for every parse/validation failure). */
public final class TranslationException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;

    public TranslationException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
