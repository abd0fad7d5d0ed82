package io.jlora.kernel.protocol;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/** Turns ZeroMQ multipart frames into {@link Message}s and back, checking and adding signatures. */
public final class WireCodec {
    private static final Logger LOG = Logger.getLogger(WireCodec.class.getName());
    private static final byte[] DELIMITER = "<IDS|MSG>".getBytes(StandardCharsets.US_ASCII);
    private static final Gson GSON = new Gson();

    private final MessageSigner signer;
    private final ReplayGuard replays = new ReplayGuard();

    public WireCodec(MessageSigner signer) {
        this.signer = signer;
    }

    /**
     * Reads one whole multipart message. A message with a wrong signature or a malformed frame is
     * logged and dropped (empty result): it is never handed on, so it is never executed or answered.
     */
    public Optional<Message> read(ZMQ.Socket socket, String channel) {
        List<byte[]> frames = new ArrayList<>();
        do {
            byte[] frame = socket.recv(0);
            if (frame == null) return Optional.empty();
            frames.add(frame);
        } while (socket.hasReceiveMore());

        int delimiter = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (Arrays.equals(DELIMITER, frames.get(i))) {
                delimiter = i;
                break;
            }
        }
        if (delimiter < 0 || frames.size() < delimiter + 6) {
            LOG.warning(() -> "dropped a malformed message on " + channel + " (" + frames.size() + " frames)");
            return Optional.empty();
        }
        byte[] signature = frames.get(delimiter + 1);
        byte[] header = frames.get(delimiter + 2), parent = frames.get(delimiter + 3);
        byte[] metadata = frames.get(delimiter + 4), content = frames.get(delimiter + 5);
        if (!signer.verify(signature, header, parent, metadata, content)) {
            LOG.warning(() -> "dropped a message with an invalid signature on " + channel);
            return Optional.empty();
        }
        if (signer.enabled() && !replays.firstSighting(new String(signature, StandardCharsets.US_ASCII))) {
            LOG.warning(() -> "dropped a replayed message on " + channel);
            return Optional.empty();
        }
        try {
            return Optional.of(new Message(
                    List.copyOf(frames.subList(0, delimiter)),
                    object(header, "header"), object(parent, "parent_header"),
                    object(metadata, "metadata"), object(content, "content"),
                    List.copyOf(frames.subList(delimiter + 6, frames.size()))));
        } catch (RuntimeException e) {
            LOG.warning(() -> "dropped a message with unreadable JSON on " + channel + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    public void write(ZMQ.Socket socket, Message message) {
        byte[] header = bytes(message.header()), parent = bytes(message.parentHeader());
        byte[] metadata = bytes(message.metadata()), content = bytes(message.content());
        String signature = signer.sign(header, parent, metadata, content);
        for (byte[] identity : message.identities()) socket.sendMore(identity);
        socket.sendMore(DELIMITER);
        socket.sendMore(signature.getBytes(StandardCharsets.US_ASCII));
        socket.sendMore(header);
        socket.sendMore(parent);
        socket.sendMore(metadata);
        if (message.buffers().isEmpty()) {
            socket.send(content, 0);
        } else {
            socket.sendMore(content);
            for (int i = 0; i < message.buffers().size(); i++) {
                if (i == message.buffers().size() - 1) socket.send(message.buffers().get(i), 0);
                else socket.sendMore(message.buffers().get(i));
            }
        }
    }

    private static JsonObject object(byte[] raw, String part) {
        JsonElement element = JsonParser.parseString(new String(raw, StandardCharsets.UTF_8));
        if (element.isJsonNull()) return new JsonObject();
        if (!element.isJsonObject()) throw new IllegalArgumentException(part + " is not a JSON object");
        return element.getAsJsonObject();
    }

    private static byte[] bytes(JsonObject json) {
        return GSON.toJson(json).getBytes(StandardCharsets.UTF_8);
    }
}
