package io.jlora.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resolving Hub ids from a Hugging Face cache laid out in a temporary folder as huggingface_hub
 * writes it, offline: by ref name, by commit, with a broken link, with nothing cached; and where the
 * cache and the token are looked for.
 */
class HubCacheTest {

    static final Path TINY = Path.of("../models/tiny-llama");
    static final String OTHER = "fedcba9876543210fedcba9876543210fedcba98";

    @TempDir
    Path home;

    /** An offline locator over {@code home}'s cache, as HF_HUB_OFFLINE=1 makes it. */
    ModelLocator.Options offline() {
        return new ModelLocator.Options(HubSettings.fromEnvironment(
                Map.of("HF_HOME", home.resolve("hf").toString(), "HF_HUB_OFFLINE", "1"), home, null),
                DownloadListener.NONE, List.of());
    }

    /** Puts {@code folder}'s files in the cache as commit {@code commit} of test-org/tiny, refs/{@code ref} naming it. */
    static Path cache(Path cacheRoot, Path folder, String commit, String ref) throws IOException {
        Path repo = cacheRoot.resolve("models--test-org--tiny");
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        Files.createDirectories(snapshot);
        Files.createDirectories(repo.resolve("blobs"));
        try (var files = Files.list(folder)) {
            for (Path f : files.toList()) {
                byte[] bytes = Files.readAllBytes(f);
                String etag = FakeModelHub.isLfs(f.getFileName().toString()) ? FakeModelHub.sha256(bytes) : FakeModelHub.gitSha1(bytes);
                Files.write(repo.resolve("blobs").resolve(etag), bytes);
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()), Path.of("../../blobs").resolve(etag));
            }
        }
        if (ref != null) {
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs").resolve(ref), commit);
        }
        return snapshot;
    }

    Path hubCache() {
        return home.resolve("hf").resolve("hub");
    }

    @Test
    void resolvesARefNameAndACommitFromTheCache() throws IOException {
        Path main = cache(hubCache(), TINY, FakeModelHub.COMMIT, "main");
        Path other = cache(hubCache(), TINY, OTHER, "v1");
        assertEquals(main, ModelLocator.resolve("test-org/tiny", ModelLocator.Kind.MODEL, offline()));
        assertEquals(main, ModelLocator.resolve("test-org/tiny@main", ModelLocator.Kind.MODEL, offline()));
        assertEquals(other, ModelLocator.resolve("test-org/tiny@v1", ModelLocator.Kind.MODEL, offline()));
        assertEquals(other, ModelLocator.resolve("test-org/tiny@" + OTHER, ModelLocator.Kind.MODEL, offline()));
        assertTrue(Files.isSymbolicLink(main.resolve("config.json")));
        assertEquals(Files.readString(TINY.resolve("config.json")), Files.readString(main.resolve("config.json")));
    }

    @Test
    void aBrokenLinkIsAMissingFileNamedOffline() throws IOException {
        Path snapshot = cache(hubCache(), TINY, FakeModelHub.COMMIT, "main");
        Files.delete(snapshot.resolve(Files.readSymbolicLink(snapshot.resolve("model.safetensors"))).normalize());
        HubDownloadException e = assertThrows(HubDownloadException.class,
                () -> ModelLocator.resolve("test-org/tiny", ModelLocator.Kind.MODEL, offline()));
        assertEquals(HubDownloadException.Reason.NOT_CACHED, e.reason());
        assertTrue(e.getMessage().startsWith("test-org/tiny: model.safetensors is missing"), e.getMessage());
        assertTrue(e.getMessage().contains("broken link") && e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
    }

    @Test
    void anAdapterNeedsItsTwoFiles() throws IOException {
        cache(hubCache(), TINY, FakeModelHub.COMMIT, "main");
        HubDownloadException e = assertThrows(HubDownloadException.class,
                () -> ModelLocator.resolve("test-org/tiny", ModelLocator.Kind.ADAPTER, offline()));
        assertTrue(e.getMessage().contains("adapter_config.json is missing"), e.getMessage());
    }

    @Test
    void nothingCachedOfflineNamesTheRepoAndTheCache() {
        HubDownloadException e = assertThrows(HubDownloadException.class,
                () -> ModelLocator.resolve("test-org/absent@v2", ModelLocator.Kind.MODEL, offline()));
        assertEquals(HubDownloadException.Reason.NOT_CACHED, e.reason());
        assertTrue(e.getMessage().startsWith("'test-org/absent@v2' is no local folder"), e.getMessage());
        assertTrue(e.getMessage().contains("models--test-org--absent"), e.getMessage());
    }

    @Test
    void theOfflinePropertyForbidsTheNetworkToo() {
        System.setProperty(HubSettings.OFFLINE_PROPERTY, "true");
        try {
            assertTrue(HubSettings.fromEnvironment(Map.of(), home, null).offline());
        } finally {
            System.clearProperty(HubSettings.OFFLINE_PROPERTY);
        }
        assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0"), home, null).offline());
    }

    @Test
    void aLocalPathWinsAndOtherTextIsLeftToTheLoader() throws IOException {
        Path local = Files.createTempDirectory(Path.of("target"), "local"); // "target/localNNN" has the form of a Hub id
        try {
            assertEquals(local, ModelLocator.resolve(local.toString(), ModelLocator.Kind.MODEL, offline()));
            java.util.function.Supplier<ModelLocator.Options> unread = () -> {
                throw new AssertionError("a local path needs no Hub settings (a bad HF_TOKEN must not stop it)");
            };
            assertEquals(local, ModelLocator.resolve(local.toString(), ModelLocator.Kind.MODEL, unread));
        } finally {
            Files.delete(local);
        }
        assertEquals(Path.of("no/such/folder"), ModelLocator.resolve("no/such/folder", ModelLocator.Kind.MODEL, offline()));
        assertEquals(Path.of("/abs/x"), ModelLocator.resolve("/abs/x", ModelLocator.Kind.MODEL, offline()));
    }

    @Test
    void hubIdsAreOrgNameAndAnOptionalRevision() {
        assertEquals(new HubModelId(new RepoId("Qwen", "Qwen2.5-0.5B"), "main"), HubModelId.parse("Qwen/Qwen2.5-0.5B").orElseThrow());
        assertEquals("v1.0", HubModelId.parse("org/name@v1.0").orElseThrow().revision());
        assertTrue(HubModelId.parse("org/name@" + OTHER).orElseThrow().isCommit());
        for (String notAnId : List.of("name", "./a", "../a/b", "a/b/c", "/a/b", "a/b@", "a/b@../x", "a--b/c")) {
            assertEquals(Optional.empty(), HubModelId.parse(notAnId), notAnId);
        }
    }

    @Test
    void theCacheAndTheTokenAreWhereHuggingfaceHubLooks() throws IOException {
        assertEquals(Path.of("/c"), HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", "/c", "HF_HOME", "/h"), home, null).cache());
        assertEquals(Path.of("/h/hub"), HubSettings.fromEnvironment(Map.of("HF_HOME", "/h"), home, null).cache());
        assertEquals(Path.of("/x/huggingface/hub"), HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), home, null).cache());
        assertEquals(home.resolve(".cache/huggingface/hub"), HubSettings.fromEnvironment(Map.of(), home, null).cache());
        assertFalse(HubSettings.fromEnvironment(Map.of(), home, null).token().isPresent());
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_saved1234\n");
        assertEquals("Bearer hf_saved1234", HubSettings.fromEnvironment(Map.of(), home, null).token().bearer());
        assertEquals("Bearer hf_env5678", HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_env5678"), home, null).token().bearer());
        assertEquals("Bearer hf_flag9", HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_env5678"), home, "hf_flag9").token().bearer());
    }
}
