package io.jlora.kernel;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class HistoryTest {
    @TempDir
    Path tmp;

    @Test
    void aNewHistoryIsPrivateToItsUser() throws Exception {
        Path file = tmp.resolve("data/jlora/history.jsonl");
        new History(file).add(1, "String token = \"secret\";", null);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    }

    @Test
    void anOlderWorldReadableHistoryIsNarrowedAndKept() throws Exception {
        Path file = tmp.resolve("history.jsonl");
        Files.writeString(file, "{\"session\":1,\"line\":1,\"input\":\"1+1\",\"output\":\"2\"}\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        History history = new History(file);
        history.add(1, "2+2", "4");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(2, Files.readAllLines(file).size());
        JsonObject all = new JsonObject();
        all.addProperty("hist_access_type", "search");
        all.addProperty("pattern", "*");
        assertEquals(2, history.query(all).size());
    }

    @Test
    void theLocationComesFromThePropertyThenTheEnvironmentThenXdgThenHome() {
        Map<String, String> props = Map.of("user.home", "/home/u");
        assertEquals(Path.of("/home/u/.local/share/jlora/history.jsonl"), History.location(props::get, Map.<String, String>of()::get));
        assertEquals(Path.of("/xdg/jlora/history.jsonl"), History.location(props::get, Map.of("XDG_DATA_HOME", "/xdg")::get));
        Map<String, String> env = Map.of("XDG_DATA_HOME", "/xdg", "JLORA_HISTORY", "/tests/h.jsonl");
        assertEquals(Path.of("/tests/h.jsonl"), History.location(props::get, env::get));
        Map<String, String> withProperty = Map.of("user.home", "/home/u", "jlora.history", "/p/h.jsonl");
        assertEquals(Path.of("/p/h.jsonl"), History.location(withProperty::get, env::get));
        assertNull(History.location(props::get, Map.of("JLORA_HISTORY", "")::get), "empty: no file at all");
    }
}
