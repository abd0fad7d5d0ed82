package io.jlora.kernel.protocol;

import com.google.gson.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One Jupyter message: routing identities, header, parent header, metadata, content and binary buffers.
 * JSON parts stay as Gson trees: the kernel reads a few fields and passes the rest through.
 */
public record Message(List<byte[]> identities, JsonObject header, JsonObject parentHeader,
                      JsonObject metadata, JsonObject content, List<byte[]> buffers) {

    public static final String PROTOCOL_VERSION = "5.3";

    public String type() {
        return header.has("msg_type") ? header.get("msg_type").getAsString() : "";
    }

    public String id() {
        return header.has("msg_id") ? header.get("msg_id").getAsString() : "";
    }

    /** A message that answers or reports on this one: same session and identities, this header as parent. */
    public Message reply(String type, JsonObject content) {
        return new Message(identities, newHeader(type, sessionOf(header)), header, new JsonObject(), content, List.of());
    }

    /** An IOPub broadcast caused by this request. */
    public Message broadcast(String type, JsonObject content) {
        return new Message(List.of(type.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                newHeader(type, sessionOf(header)), header, new JsonObject(), content, List.of());
    }

    public static Message broadcastWithoutParent(String type, JsonObject content, String session) {
        return new Message(List.of(type.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                newHeader(type, session), new JsonObject(), new JsonObject(), content, List.of());
    }

    public static JsonObject newHeader(String type, String session) {
        JsonObject h = new JsonObject();
        h.addProperty("msg_id", UUID.randomUUID().toString());
        h.addProperty("session", session);
        h.addProperty("username", "kernel");
        h.addProperty("date", Instant.now().toString());
        h.addProperty("msg_type", type);
        h.addProperty("version", PROTOCOL_VERSION);
        return h;
    }

    private static String sessionOf(JsonObject header) {
        return header.has("session") ? header.get("session").getAsString() : "";
    }
}
