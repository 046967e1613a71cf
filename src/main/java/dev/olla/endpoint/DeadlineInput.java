package dev.olla.endpoint;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;

/** A socket's input whose every read is bounded by what is left of the call's deadline. */
final class DeadlineInput extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private final long deadline;
    private final Duration timeout;

    DeadlineInput(Socket socket, long deadline, Duration timeout) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 8192);
        this.deadline = deadline;
        this.timeout = timeout;
    }

    private void arm() throws IOException {
        socket.setSoTimeout(BackendGet.remainingMillis(deadline, timeout, false));
    }

    @Override
    public int read() throws IOException {
        arm();
        return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        arm();
        return in.read(b, off, len);
    }
}
