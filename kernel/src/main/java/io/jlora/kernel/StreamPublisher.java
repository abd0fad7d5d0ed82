package io.jlora.kernel;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Collects what cells write to System.out or System.err and hands it on as text in batches: on
 * {@link #flush()}, which the kernel calls every few tens of milliseconds while a cell runs and when it
 * ends. Batching keeps a loop of a thousand println calls from becoming a thousand messages. UTF-8
 * sequences split across writes are held back until whole.
 */
final class StreamPublisher extends OutputStream {
    private final String name;
    private final BiConsumer<String, String> sink;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer carry = ByteBuffer.allocate(0);

    StreamPublisher(String name, BiConsumer<String, String> sink) {
        this.name = name;
        this.sink = sink;
    }

    @Override
    public synchronized void write(int b) {
        pending.write(b);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        pending.write(bytes, offset, length);
    }

    /** Publishes what was written since the last flush, if anything. */
    @Override
    public void flush() {
        String text;
        synchronized (this) {
            if (pending.size() == 0) return;
            byte[] fresh = pending.toByteArray();
            pending.reset();
            ByteBuffer in = ByteBuffer.allocate(carry.remaining() + fresh.length);
            in.put(carry).put(fresh).flip();
            CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
            decoder.decode(in, out, false);
            carry = in.slice();
            text = out.flip().toString();
        }
        if (!text.isEmpty()) sink.accept(name, text);
    }
}
