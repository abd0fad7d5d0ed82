package io.jlora.kernel.protocol;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Messages through a real ZeroMQ pair: what the codec hands on and what it drops. */
class WireCodecTest {
    private final MessageSigner signer = new MessageSigner("hmac-sha256", "secret");
    private final WireCodec codec = new WireCodec(signer);
    private ZContext context;
    private ZMQ.Socket kernelSide;
    private ZMQ.Socket clientSide;

    @BeforeEach
    void connect() {
        context = new ZContext();
        kernelSide = context.createSocket(SocketType.ROUTER);
        kernelSide.setReceiveTimeOut(2000);
        kernelSide.bind("inproc://codec-test");
        clientSide = context.createSocket(SocketType.DEALER);
        clientSide.connect("inproc://codec-test");
    }

    @AfterEach
    void close() {
        context.close();
    }

    @Test
    void aSignedMessageIsReadOnceAndItsReplayIsDropped() {
        byte[][] frames = frames("m1");
        String signature = signer.sign(frames);
        send(signature, frames);
        Optional<Message> first = codec.read(kernelSide, "shell");
        assertTrue(first.isPresent());
        assertEquals("m1", first.get().id());
        send(signature, frames);
        assertTrue(codec.read(kernelSide, "shell").isEmpty(), "the same message again is a replay");
        // and the codec is still reading: the next fresh message comes through
        byte[][] next = frames("m2");
        send(signer.sign(next), next);
        assertEquals("m2", codec.read(kernelSide, "shell").orElseThrow().id());
    }

    @Test
    void aReplayOnAnotherChannelIsDroppedToo() {
        byte[][] frames = frames("m3");
        String signature = signer.sign(frames);
        send(signature, frames);
        assertTrue(codec.read(kernelSide, "shell").isPresent());
        send(signature, frames);
        assertTrue(codec.read(kernelSide, "control").isEmpty(), "the replay guard is shared by every channel of a kernel");
    }

    @Test
    void badlySignedAndUnsignedMessagesAreDropped() {
        byte[][] frames = frames("m4");
        send(new MessageSigner("hmac-sha256", "guess").sign(frames), frames);
        assertTrue(codec.read(kernelSide, "shell").isEmpty());
        send("", frames);
        assertTrue(codec.read(kernelSide, "shell").isEmpty());
        // the rightly signed message was never seen, so it is no replay
        send(signer.sign(frames), frames);
        assertEquals("m4", codec.read(kernelSide, "shell").orElseThrow().id());
    }

    private static byte[][] frames(String id) {
        return new byte[][]{
                ("{\"msg_id\":\"" + id + "\",\"msg_type\":\"kernel_info_request\",\"session\":\"s\"}").getBytes(StandardCharsets.UTF_8),
                "{}".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8)};
    }

    private void send(String signature, byte[][] frames) {
        clientSide.sendMore("<IDS|MSG>");
        clientSide.sendMore(signature);
        for (int i = 0; i < frames.length; i++) {
            if (i == frames.length - 1) clientSide.send(frames[i], 0);
            else clientSide.sendMore(frames[i]);
        }
    }
}
