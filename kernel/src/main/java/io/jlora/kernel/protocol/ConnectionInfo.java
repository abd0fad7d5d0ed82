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
        String scheme = string(json, "signature_scheme", "hmac-sha256", file);
        if (!MessageSigner.SCHEMES.containsKey(scheme)) {
            throw new IOException("connection file " + file + ": unsupported signature_scheme '" + scheme + "' (supported: "
                    + String.join(", ", new java.util.TreeSet<>(MessageSigner.SCHEMES.keySet())) + ")");
        }
        return new ConnectionInfo(
                string(json, "transport", "tcp", file),
                string(json, "ip", "127.0.0.1", file),
                port(json, "shell_port", file), port(json, "iopub_port", file), port(json, "stdin_port", file),
                port(json, "control_port", file), port(json, "hb_port", file),
                scheme, string(json, "key", "", file));
    }

    /**
     * What a user should know about this file before the kernel listens: an empty key turns signing off
     * (Jupyter's rule, kept for compatibility), a file others may read gives the key away, and an ip other
     * than a loopback one opens the ports to other hosts. Each warning is one line; none for what Jupyter
     * writes (127.0.0.1, a key, mode 600).
     */
    public java.util.List<String> warnings(Path file) {
        java.util.List<String> warnings = new java.util.ArrayList<>();
        if (key.isEmpty()) {
            warnings.add("connection file " + file + " has an empty key: messages are not signed, so anyone who can"
                    + " reach the kernel's ports can run code as this user");
        }
        othersMayRead(file).ifPresent(permissions -> warnings.add("connection file " + file + " is readable by other users ("
                + permissions + "): whoever reads its key can run code as this user; Jupyter writes it with mode 600"));
        if ("tcp".equals(transport) && !isLoopback(ip)) {
            warnings.add("connection file " + file + " asks for ip " + ip + ": the kernel's ports are reachable"
                    + " from other hosts, not only from this machine");
        }
        return warnings;
    }

    /** The file's permissions when its group or others may read it; empty when not, or not a POSIX file system. */
    private static java.util.Optional<String> othersMayRead(Path file) {
        try {
            var permissions = Files.getPosixFilePermissions(file);
            boolean open = permissions.contains(java.nio.file.attribute.PosixFilePermission.GROUP_READ)
                    || permissions.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
            return open ? java.util.Optional.of(java.nio.file.attribute.PosixFilePermissions.toString(permissions)) : java.util.Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return java.util.Optional.empty();
        }
    }

    private static boolean isLoopback(String ip) {
        return ip.equals("localhost") || ip.startsWith("127.") || ip.equals("::1") || ip.equals("[::1]");
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
