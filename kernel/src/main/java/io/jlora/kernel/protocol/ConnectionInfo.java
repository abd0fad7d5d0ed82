package io.jlora.kernel.protocol;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a Jupyter connection file says: where to bind each channel and how to sign messages. */
public record ConnectionInfo(String transport, String ip, int shellPort, int iopubPort, int stdinPort,
                             int controlPort, int hbPort, String signatureScheme, String key) {

    public static ConnectionInfo read(Path file) throws IOException {
        JsonObject json;
        try {
            json = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("connection file " + file + " is not a JSON object: " + e.getMessage(), e);
        }
        return new ConnectionInfo(
                string(json, "transport", "tcp", file),
                string(json, "ip", "127.0.0.1", file),
                port(json, "shell_port", file), port(json, "iopub_port", file), port(json, "stdin_port", file),
                port(json, "control_port", file), port(json, "hb_port", file),
                string(json, "signature_scheme", "hmac-sha256", file),
                string(json, "key", "", file));
    }

    /** The address a channel binds: only the connection file's own ip, never a wildcard it did not ask for. */
    public String address(int port) {
        return "ipc".equals(transport) ? transport + "://" + ip + "-" + port : transport + "://" + ip + ":" + port;
    }

    private static String string(JsonObject json, String key, String fallback, Path file) throws IOException {
        if (!json.has(key) || json.get(key).isJsonNull()) return fallback;
        if (!json.get(key).isJsonPrimitive()) throw new IOException("connection file " + file + ": '" + key + "' must be a string");
        return json.get(key).getAsString();
    }

    private static int port(JsonObject json, String key, Path file) throws IOException {
        if (!json.has(key)) throw new IOException("connection file " + file + " has no '" + key + "'");
        try {
            return json.get(key).getAsInt();
        } catch (RuntimeException e) {
            throw new IOException("connection file " + file + ": '" + key + "' is not a port number", e);
        }
    }
}
