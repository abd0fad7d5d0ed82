package io.jlora.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The cells run in this and earlier sessions, for history_request (tail, range, search).
 * Kept in memory and appended to a JSON-lines file, so that history survives restarts as in IPython.
 * The file holds whatever cells held (tokens, paths), so it is private: created 0600 in a folder
 * created 0700, and an older file readable by others is narrowed to 0600 before it grows.
 * A file that cannot be read or written only costs the earlier sessions, never the kernel.
 */
final class History {
    private static final Logger LOG = Logger.getLogger(History.class.getName());

    record Entry(int session, int line, String input, String output) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PRIVATE_FOLDER = PosixFilePermissions.fromString("rwx------");

    private final Path file;
    private final int session;
    private boolean narrowed;

    History(Path file) {
        this.file = file;
        int lastSession = 0;
        if (file != null && Files.isReadable(file)) {
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    try {
                        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                        Entry e = new Entry(o.get("session").getAsInt(), o.get("line").getAsInt(),
                                o.get("input").getAsString(), o.has("output") && !o.get("output").isJsonNull() ? o.get("output").getAsString() : null);
                        entries.add(e);
                        lastSession = Math.max(lastSession, e.session());
                    } catch (RuntimeException skipped) {
                        // one damaged line is dropped, the rest of the history is kept
                    }
                }
            } catch (IOException e) {
                LOG.warning("cannot read history " + file + ": " + e.getMessage());
            }
        }
        session = lastSession + 1;
    }

    /**
     * Where the history lives: {@code -Djlora.history=FILE} (empty: nowhere), else {@code $JLORA_HISTORY}
     * (empty: nowhere), else {@code $XDG_DATA_HOME/jlora/history.jsonl}, else
     * {@code ~/.local/share/jlora/history.jsonl}. Tests set one of the first two to a folder of their own.
     */
    static Path location(Function<String, String> properties, Function<String, String> environment) {
        String configured = properties.apply("jlora.history");
        if (configured == null) configured = environment.apply("JLORA_HISTORY");
        if (configured != null) return configured.isEmpty() ? null : Path.of(configured);
        String dataHome = environment.apply("XDG_DATA_HOME");
        Path base = dataHome != null && !dataHome.isEmpty() ? Path.of(dataHome) : Path.of(properties.apply("user.home"), ".local", "share");
        return base.resolve("jlora").resolve("history.jsonl");
    }

    int session() {
        return session;
    }

    synchronized void add(int line, String input, String output) {
        Entry entry = new Entry(session, line, input, output);
        entries.add(entry);
        if (file == null) return;
        JsonObject o = new JsonObject();
        o.addProperty("session", session);
        o.addProperty("line", line);
        o.addProperty("input", input);
        o.addProperty("output", output);
        try {
            makePrivate();
            try (var channel = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                    PosixFilePermissions.asFileAttribute(PRIVATE_FILE))) {
                channel.write(java.nio.ByteBuffer.wrap((o + "\n").getBytes(StandardCharsets.UTF_8)));
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warning("cannot append to history " + file + ": " + e.getMessage());
        }
    }

    /** Creates the folder 0700 when missing; narrows an existing file to 0600 (once per session). */
    private void makePrivate() throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder)) Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PRIVATE_FOLDER));
        if (!narrowed && Files.exists(file) && !Files.getPosixFilePermissions(file).equals(PRIVATE_FILE)) {
            Files.setPosixFilePermissions(file, PRIVATE_FILE);
        }
        narrowed = true;
    }

    /** The reply's {@code history} list for a history_request's content. */
    synchronized JsonArray query(JsonObject request) {
        boolean output = request.has("output") && request.get("output").getAsBoolean();
        String type = request.has("hist_access_type") ? request.get("hist_access_type").getAsString() : "tail";
        List<Entry> chosen = switch (type) {
            case "range" -> range(intOr(request, "session", 0), intOr(request, "start", 0), intOr(request, "stop", Integer.MAX_VALUE));
            case "search" -> search(request.has("pattern") ? request.get("pattern").getAsString() : "*",
                    request.has("unique") && request.get("unique").getAsBoolean(), intOr(request, "n", 0));
            default -> last(entries, intOr(request, "n", 10));
        };
        JsonArray history = new JsonArray();
        for (Entry e : chosen) {
            JsonArray row = new JsonArray();
            row.add(e.session());
            row.add(e.line());
            if (output) {
                JsonArray io = new JsonArray();
                io.add(e.input());
                io.add(e.output() == null ? JsonNull.INSTANCE : (JsonElement) new com.google.gson.JsonPrimitive(e.output()));
                row.add(io);
            } else {
                row.add(e.input());
            }
            history.add(row);
        }
        return history;
    }

    /** session 0 or less counts back from this one, as IPython's history does. */
    private List<Entry> range(int sessionArg, int start, int stop) {
        int wanted = sessionArg <= 0 ? session + sessionArg : sessionArg;
        return entries.stream().filter(e -> e.session() == wanted && e.line() >= start && e.line() < stop).toList();
    }

    private List<Entry> search(String glob, boolean unique, int n) {
        Pattern pattern = Pattern.compile(globToRegex(glob), Pattern.DOTALL);
        List<Entry> found = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Entry e : entries) {
            if (!pattern.matcher(e.input()).matches()) continue;
            if (unique && !seen.add(e.input())) continue;
            found.add(e);
        }
        return n > 0 ? last(found, n) : found;
    }

    private static List<Entry> last(List<Entry> list, int n) {
        return new ArrayList<>(list.subList(Math.max(0, list.size() - Math.max(0, n)), list.size()));
    }

    private static int intOr(JsonObject o, String key, int fallback) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsInt() : fallback;
    }

    private static String globToRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return regex.toString();
    }
}
