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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The cells run in this and earlier sessions, for history_request (tail, range, search).
 * Kept in memory and appended to a JSON-lines file, so that history survives restarts as in IPython.
 * A file that cannot be read or written only costs the earlier sessions, never the kernel.
 */
final class History {
    private static final Logger LOG = Logger.getLogger(History.class.getName());

    record Entry(int session, int line, String input, String output) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Path file;
    private final int session;

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
            Files.createDirectories(file.getParent());
            Files.writeString(file, o + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warning("cannot append to history " + file + ": " + e.getMessage());
        }
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
