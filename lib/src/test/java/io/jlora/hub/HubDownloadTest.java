package io.jlora.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.model.CausalLm;
import io.jlora.model.Family;
import io.jlora.model.RandomModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads from a loopback Hub ({@link FakeModelHub}) serving models/tiny-llama: the files land
 * in huggingface_hub's cache layout and load; redirects, resumes, failures and a killed download.
 */
class HubDownloadTest {

    static final Path TINY = HubCacheTest.TINY;
    static final String WEIGHTS = "model.safetensors";
    static final String TOKEN = "hf_testTokenAbc123";

    @TempDir
    Path cache;

    FakeModelHub hub;
    final List<DownloadProgress> told = new ArrayList<>();
    final long weightsSize = size(TINY.resolve(WEIGHTS));
    final long half = weightsSize / 2;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeModelHub().withRepo("test-org/tiny", TINY).withFile("test-org/tiny", "pytorch_model.bin", new byte[100])
                .withFile("test-org/tiny", "README.md", "# tiny".getBytes());
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    ModelLocator.Options online(String token) {
        HubSettings settings = new HubSettings(cache, false, HubEndpoint.of(hub.url()),
                token == null ? HubToken.anonymous() : HubToken.of(token));
        return new ModelLocator.Options(settings, told::add, List.of());
    }

    Path resolve(String id) {
        return ModelLocator.resolve(id, ModelLocator.Kind.MODEL, online(null));
    }

    Path repo() {
        return cache.resolve("models--test-org--tiny");
    }

    @Test
    void downloadsWhatALoadNeedsInTheStandardLayoutAndLoadsIt() throws IOException {
        Path snapshot = resolve("test-org/tiny");
        assertEquals(repo().resolve("snapshots").resolve(FakeModelHub.COMMIT), snapshot);
        assertEquals(FakeModelHub.COMMIT, Files.readString(repo().resolve("refs/main")));
        try (var files = Files.list(TINY)) {
            for (Path f : files.toList()) {
                byte[] bytes = Files.readAllBytes(f);
                String name = f.getFileName().toString();
                String etag = FakeModelHub.isLfs(name) ? FakeModelHub.sha256(bytes) : FakeModelHub.gitSha1(bytes);
                assertEquals(Path.of("../../blobs", etag), Files.readSymbolicLink(snapshot.resolve(name)), name);
                assertEquals(bytes.length, Files.size(repo().resolve("blobs").resolve(etag)));
            }
        }
        assertFalse(Files.exists(snapshot.resolve("pytorch_model.bin")), "*.bin is never fetched unless asked");
        assertFalse(Files.exists(snapshot.resolve("README.md")));
        DownloadProgress last = told.get(told.size() - 1);
        assertTrue(last.done() && last.bytes() == last.totalBytes() && last.fileCount() == 5, last.text());
        assertEquals("downloaded test-org/tiny: 0.5 MB, 5 files", last.text());
        try (CausalLm lm = CausalLm.load(snapshot)) {
            assertTrue(lm.encode("hello world").length > 0);
        }
        hub.close(); // a complete snapshot is used without the network
        assertEquals(snapshot, resolve("test-org/tiny"));
    }

    @Test
    void followsRedirectsAndSendsTheTokenToTheHubOnly() throws IOException {
        hub.requiringToken(TOKEN).renamed("old-org/tiny", "test-org/tiny");
        Path snapshot = ModelLocator.resolve("old-org/tiny", ModelLocator.Kind.MODEL, online(TOKEN));
        assertEquals(cache.resolve("models--old-org--tiny/snapshots/" + FakeModelHub.COMMIT), snapshot);
        assertTrue(Files.exists(snapshot.resolve(WEIGHTS)));
        assertFalse(hub.calls().stream().filter(c -> c.server().equals("hub")).anyMatch(c -> !c.token()));
        List<FakeModelHub.Call> storage = hub.calls().stream().filter(c -> c.server().equals("storage")).toList();
        assertEquals(1, storage.size());
        assertFalse(storage.get(0).token(), "the storage origin never sees the token");
    }

    @Test
    void resumesAfterTheConnectionDropsHalfway() {
        hub.dropping(WEIGHTS, half, 1);
        Path snapshot = resolve("test-org/tiny");
        assertEquals(weightsSize, size(snapshot.resolve(WEIGHTS)));
        List<FakeModelHub.Call> gets = hub.calls("/lfs/");
        assertEquals(2, gets.size());
        long resumedAt = Long.parseLong(gets.get(1).range().replaceAll("bytes=(\\d+)-", "$1"));
        assertTrue(resumedAt > 0 && resumedAt <= half, gets.get(1).range()); // what arrived of the half that was sent
    }

    @Test
    void aFailedDownloadLeavesNoSnapshotFileAndTheNextRunResumes() throws IOException {
        hub.dropping(WEIGHTS, half, 100);
        HubDownloadException e = assertThrows(HubDownloadException.class, () -> resolve("test-org/tiny"));
        assertEquals(HubDownloadException.Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().startsWith("test-org/tiny: model.safetensors: the download failed"), e.getMessage());
        Path snapshot = repo().resolve("snapshots").resolve(FakeModelHub.COMMIT);
        assertFalse(Files.exists(snapshot.resolve(WEIGHTS), LinkOption.NOFOLLOW_LINKS));
        Path part = repo().resolve("blobs").resolve(FakeModelHub.sha256(Files.readAllBytes(TINY.resolve(WEIGHTS))) + ".incomplete");
        long arrived = Files.size(part);
        assertTrue(arrived > 0 && arrived <= half, "kept " + arrived);
        hub.healed();
        resolve("test-org/tiny");
        List<FakeModelHub.Call> gets = hub.calls("/lfs/");
        assertEquals("bytes=" + arrived + "-", gets.get(gets.size() - 1).range());
        assertFalse(Files.exists(part));
        assertEquals(weightsSize, size(snapshot.resolve(WEIGHTS)));
    }

    @Test
    void refusalsAreOneLineNamingTheRepoAndTheFile() {
        hub.requiringToken(TOKEN);
        HubDownloadException e = assertThrows(HubDownloadException.class,
                () -> ModelLocator.resolve("test-org/tiny", ModelLocator.Kind.MODEL, online("hf_wrongToken999")));
        assertEquals(HubDownloadException.Reason.UNAUTHORIZED, e.reason());
        assertTrue(e.getMessage().startsWith("'test-org/tiny' is no local folder, and test-org/tiny: the file list: 401 Unauthorized"),
                e.getMessage());
        assertFalse(e.getMessage().contains("hf_wrongToken999"), e.getMessage());
        hub.requiringToken(null).gated(403);
        e = assertThrows(HubDownloadException.class, () -> resolve("test-org/tiny"));
        assertEquals(HubDownloadException.Reason.UNAUTHORIZED, e.reason());
        assertTrue(e.getMessage().startsWith("test-org/tiny: config.json: 403 Forbidden") && e.getMessage().contains("gated"), e.getMessage());
        e = assertThrows(HubDownloadException.class, () -> resolve("test-org/nope"));
        assertEquals(HubDownloadException.Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().startsWith("'test-org/nope' is no local folder, and test-org/nope: the file list: 404 Not Found"), e.getMessage());
        hub.close();
        e = assertThrows(HubDownloadException.class, () -> resolve("test-org/tiny"));
        assertEquals(HubDownloadException.Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().startsWith("'test-org/tiny' is no local folder, and test-org/tiny: the file list: cannot reach "
                + "http://127.0.0.1:"), e.getMessage());
        for (String m : List.of(e.getMessage())) {
            assertFalse(m.contains("\n"), m);
        }
    }

    @Test
    void aWrongSizeOrHashIsRefusedAndNothingPartialStays() throws IOException {
        hub.announcingWrongSize(WEIGHTS, 1);
        HubDownloadException e = assertThrows(HubDownloadException.class, () -> resolve("test-org/tiny"));
        assertEquals(HubDownloadException.Reason.MISMATCH, e.reason());
        assertTrue(e.getMessage().startsWith("test-org/tiny: model.safetensors: got " + weightsSize + " bytes, the Hub announced "
                + (weightsSize + 1)), e.getMessage());
        assertNoPartialFiles();
        hub.healed();
        hub.corrupting(WEIGHTS);
        e = assertThrows(HubDownloadException.class, () -> resolve("test-org/tiny"));
        assertEquals(HubDownloadException.Reason.MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("model.safetensors: sha256 "), e.getMessage());
        assertNoPartialFiles();
    }

    void assertNoPartialFiles() throws IOException {
        assertFalse(Files.exists(repo().resolve("snapshots").resolve(FakeModelHub.COMMIT).resolve(WEIGHTS)));
        try (var blobs = Files.list(repo().resolve("blobs"))) {
            assertFalse(blobs.anyMatch(b -> b.toString().endsWith(".incomplete")));
        }
    }

    @Test
    void aSnapshotMissingAFileGetsJustThatFile() throws IOException {
        Path snapshot = resolve("test-org/tiny");
        Files.delete(snapshot.resolve(WEIGHTS));
        Files.delete(snapshot.resolve("tokenizer.json"));
        Files.delete(repo().resolve("blobs").resolve(FakeModelHub.gitSha1(Files.readAllBytes(TINY.resolve("tokenizer.json")))));
        HubDownloadException e = assertThrows(HubDownloadException.class, () -> ModelLocator.resolve("test-org/tiny",
                ModelLocator.Kind.MODEL, new ModelLocator.Options(online(null).settings().withOffline(true), told::add, List.of())));
        assertTrue(e.getMessage().startsWith("test-org/tiny: model.safetensors is missing from the cached snapshot"), e.getMessage());
        int before = hub.calls().size();
        assertEquals(snapshot, resolve("test-org/tiny"));
        List<String> after = hub.calls().subList(before, hub.calls().size()).stream().map(c -> c.method() + " " + c.path()).toList();
        assertEquals(List.of("GET /api/models/test-org/tiny/revision/main",
                "HEAD /test-org/tiny/resolve/" + FakeModelHub.COMMIT + "/model.safetensors",
                "HEAD /test-org/tiny/resolve/" + FakeModelHub.COMMIT + "/tokenizer.json",
                "GET /test-org/tiny/resolve/" + FakeModelHub.COMMIT + "/tokenizer.json"), after, "the weights' blob was still there");
        assertTrue(Files.exists(snapshot.resolve(WEIGHTS)) && Files.exists(snapshot.resolve("tokenizer.json")));
    }

    @Test
    void aShardedModelGetsItsIndexAndTheShardsItNames(@TempDir Path work) throws IOException {
        Path sharded = RandomModels.write(work.resolve("sharded"),
                RandomModels.Spec.of(Family.LLAMA, 32, 2, 4, 2, 64, 300, 7).withShardBytes(20_000));
        hub.withRepo("test-org/sharded", sharded).withFile("test-org/sharded", "consolidated.safetensors", new byte[10]);
        Path snapshot = resolve("test-org/sharded");
        List<String> shards = ModelFiles.shards(sharded.resolve(ModelFiles.INDEX));
        assertTrue(shards.size() > 1, shards.toString());
        for (String shard : shards) {
            assertEquals(size(sharded.resolve(shard)), size(snapshot.resolve(shard)), shard);
        }
        assertFalse(Files.exists(snapshot.resolve("consolidated.safetensors")), "only what the index names");
        try (CausalLm lm = CausalLm.load(snapshot); CausalLm local = CausalLm.load(sharded)) {
            long[] ids = {5, 9, 23};
            assertEquals(local.score(List.of(ids)).loss(), lm.score(List.of(ids)).loss(), 0.0);
        }
    }

    @Test
    void anEstimateTakesConfigJsonAloneAndBinWeightsComeOnlyWhenAsked() {
        Path config = ModelLocator.resolve("test-org/tiny", ModelLocator.Kind.CONFIG, online(null));
        assertTrue(Files.exists(config.resolve("config.json")));
        assertFalse(Files.exists(config.resolve(WEIGHTS)));
        Path all = ModelLocator.resolve("test-org/tiny", ModelLocator.Kind.MODEL, online(null).withExtraFiles(List.of("*.bin")));
        assertEquals(100, size(all.resolve("pytorch_model.bin")));
    }

    @Test
    void anAdapterRepoGivesPeftsTwoFiles() throws IOException {
        hub.withRepo("test-org/tiny-adapter", Path.of("../models/tiny-llama-adapter"));
        Path adapter = ModelLocator.resolve("test-org/tiny-adapter", ModelLocator.Kind.ADAPTER, online(null));
        assertTrue(Files.exists(adapter.resolve("adapter_config.json")) && Files.exists(adapter.resolve("adapter_model.safetensors")));
        HubDownloadException e = assertThrows(HubDownloadException.class,
                () -> ModelLocator.resolve("test-org/tiny", ModelLocator.Kind.ADAPTER, online(null)));
        assertEquals("test-org/tiny: the repo has no adapter_config.json (is it a PEFT adapter?)", e.getMessage());
    }

    @Test
    void aKilledDownloadLeavesAStateTheNextRunResumes() throws Exception {
        hub.stalling(WEIGHTS, half);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), HubDownloadChild.class.getName(),
                hub.url(), cache.toString(), "test-org/tiny").redirectErrorStream(true).start();
        Path part = repo().resolve("blobs").resolve(FakeModelHub.sha256(Files.readAllBytes(TINY.resolve(WEIGHTS))) + ".incomplete");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(part) && Files.size(part) >= half) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(child.isAlive(), () -> "the child ended early: " + output(child));
        child.destroyForcibly().waitFor();
        assertEquals(half, Files.size(part));
        assertFalse(Files.exists(repo().resolve("snapshots").resolve(FakeModelHub.COMMIT).resolve(WEIGHTS)));
        Path snapshot = resolve("test-org/tiny");
        List<FakeModelHub.Call> gets = hub.calls("/lfs/");
        assertEquals("bytes=" + half + "-", gets.get(gets.size() - 1).range());
        assertEquals(weightsSize, size(snapshot.resolve(WEIGHTS)));
        try (CausalLm lm = CausalLm.load(snapshot)) {
            assertTrue(lm.encode("hello world").length > 0);
        }
    }

    static String output(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes());
        } catch (IOException e) {
            return e.toString();
        }
    }

    static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
