package dev.olla.model;

/** A backend's model list could not be used: not JSON, or not the shape its format promises. */
public final class ModelListException extends Exception {
    public ModelListException(String message) {
        super(message);
    }

    public ModelListException(String message, Throwable cause) {
        super(message, cause);
    }
}
