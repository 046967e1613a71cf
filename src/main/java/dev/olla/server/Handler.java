package dev.olla.server;

/** Answers one request. Runs on the connection's event loop: it must not block. */
@FunctionalInterface
public interface Handler {
    void handle(Exchange exchange) throws Exception;
}
