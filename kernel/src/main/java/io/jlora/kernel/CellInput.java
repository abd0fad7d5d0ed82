package io.jlora.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;

/**
 * System.in for cells: when a cell reads and nothing is buffered, the front end is asked for a line
 * (input_request). A front end that does not allow stdin gets an IOException that says so.
 */
final class CellInput extends InputStream {
    /** Asks the front end for one line; returns null when the running request does not allow stdin. */
    interface LineSource {
        String readLine() throws InterruptedException;
    }

    private final LineSource source;
    private byte[] buffer = new byte[0];
    private int position;

    CellInput(LineSource source) {
        this.source = source;
    }

    @Override
    public synchronized int read() throws IOException {
        if (!fill()) return -1;
        return buffer[position++] & 0xff;
    }

    @Override
    public synchronized int read(byte[] into, int offset, int length) throws IOException {
        if (length == 0) return 0;
        if (!fill()) return -1;
        int n = Math.min(length, buffer.length - position);
        System.arraycopy(buffer, position, into, offset, n);
        position += n;
        return n;
    }

    @Override
    public synchronized int available() {
        return buffer.length - position;
    }

    private boolean fill() throws IOException {
        if (position < buffer.length) return true;
        String line;
        try {
            line = source.readLine();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for input");
        }
        if (line == null) throw new IOException("this front end does not allow input (allow_stdin is false)");
        buffer = (line + "\n").getBytes(StandardCharsets.UTF_8);
        position = 0;
        return true;
    }
}
