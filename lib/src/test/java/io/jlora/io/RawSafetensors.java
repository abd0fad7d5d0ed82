package io.jlora.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-made safetensors files, including ones that lie, for the reader's tests. */
final class RawSafetensors {

    private RawSafetensors() {}

    static Path write(Path file, String headerJson, int dataBytes) throws IOException {
        return write(file, headerJson, new byte[dataBytes]);
    }

    static Path write(Path file, String headerJson, byte[] data) throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** A file whose 8-byte length field says {@code claimed}, followed by {@code actual} bytes. */
    static Path withHeaderLength(Path file, long claimed, int actual) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + actual).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(claimed);
        Files.write(file, b.array());
        return file;
    }
}
