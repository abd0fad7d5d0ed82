package io.jlora.magics;

import io.jlora.hub.HubSettings;
import io.jlora.magics.commands.CommandRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hub ids at the commands' doors: {@code --model ORG/NAME} and {@code --adapter ORG/NAME[@REV]}
 * resolve from a Hugging Face cache laid out in a temporary folder (offline; the downloads
 * themselves are lib's HubDownloadTest).
 */
class HubIdCommandsTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    static Path home;
    static LoraSession session;

    @BeforeAll
    static void open() throws IOException {
        Path cache = home.resolve("hub");
        layOut(cache, "models--test-org--tiny", Path.of("../models/tiny-llama"));
        layOut(cache, "models--test-org--tiny-adapter", Path.of("../models/tiny-llama-adapter"));
        HubFolders.settings = token -> HubSettings.fromEnvironment(
                Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"), home, token);
        session = new LoraSession();
    }

    @AfterAll
    static void close() {
        HubFolders.settings = HubSettings::fromSystem;
        session.close();
    }

    /** huggingface_hub's layout: refs/main names the commit, snapshot files are relative links into blobs/. */
    static void layOut(Path cache, String repoFolder, Path files) throws IOException {
        Path repo = cache.resolve(repoFolder);
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        Files.createDirectories(repo.resolve("blobs"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT);
        int n = 0;
        try (var list = Files.list(files)) {
            for (Path f : list.sorted().toList()) {
                String blob = "blob" + n++;
                Files.copy(f, repo.resolve("blobs").resolve(blob));
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()), Path.of("../../blobs", blob));
            }
        }
    }

    static CommandResult run(String... words) throws Exception {
        return new CommandRunner(session, "jlora", true).run(List.of(words)).result();
    }

    @Test
    void loadAndScoreTakeHubIds() throws Exception {
        ModelSummary loaded = (ModelSummary) run("load", "--model", "test-org/tiny");
        assertTrue(loaded.text().contains("llama"), loaded.text());
        assertEquals(home.resolve("hub/models--test-org--tiny/snapshots/" + COMMIT), session.model().dir());
        double base = ((Number) run("score", "--model", "test-org/tiny@main", "--text", "hello world").json().get("loss")).doubleValue();
        double adapted = ((Number) run("score", "--model", "test-org/tiny@" + COMMIT, "--adapter", "test-org/tiny-adapter",
                "--text", "hello world").json().get("loss")).doubleValue();
        assertTrue(base != adapted, base + " vs " + adapted);
    }

    @Test
    void anUncachedIdOfflineIsOneLineNamingIt() {
        Exception e = assertThrows(Exception.class, () -> run("load", "--model", "test-org/absent"));
        assertTrue(e.getMessage().startsWith("'test-org/absent' is no local folder") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
