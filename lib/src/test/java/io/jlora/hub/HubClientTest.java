package io.jlora.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A push against the loopback Hub: small files go inline, weights and big files through LFS (to a
 * storage origin that never sees the token), one commit holds them all, and the committed bytes
 * are the local bytes. Failures name the step and the status, and never the token.
 */
class HubClientTest {

    static final String TOKEN = "hf_TestToken0123456789abcdefXYZ";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private FakeHub hub;
    private Path folder;
    private List<Path> files;

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub(TOKEN);
        folder = Files.createDirectories(tmp.resolve("model"));
        Random random = new Random(7);
        byte[] weights = new byte[70_000];
        random.nextBytes(weights);
        byte[] big = new byte[(int) UploadFile.LFS_THRESHOLD + 1];
        random.nextBytes(big);
        files = List.of(
                write("config.json", "{\"model_type\": \"llama\"}".getBytes(StandardCharsets.UTF_8)),
                write("tokenizer.json", "{\"version\": \"1.0\"}".getBytes(StandardCharsets.UTF_8)),
                write("model.safetensors", weights),
                write("sub/big.bin", big));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = folder.resolve(name);
        Files.createDirectories(p.getParent());
        return Files.write(p, bytes);
    }

    private HubClient client(String token) {
        return HubClient.create(HubEndpoint.of(hub.url()), HubToken.of(token));
    }

    private PushResult push(String repo) {
        return client(TOKEN).push(RepoId.parse(repo), folder, files, "Merge a into b", "test push");
    }

    private void assertRepoHoldsTheLocalFiles() throws IOException {
        Map<String, byte[]> remote = hub.repoFiles();
        assertEquals(Set.of("config.json", "tokenizer.json", "model.safetensors", "sub/big.bin"), remote.keySet());
        for (Path f : files) {
            assertArrayEquals(Files.readAllBytes(f), remote.get(folder.relativize(f).toString()), f.toString());
        }
    }

    @Test
    void pushesSmallFilesInlineAndLargeOnesThroughLfsInOneCommit() throws IOException {
        PushResult result = push("user/merged");

        assertEquals(List.of(), hub.problems());
        assertEquals(hub.url() + "/user/merged", result.url());
        assertEquals(hub.url() + "/user/merged/commit/0123abcd", result.commitUrl());
        assertEquals(List.of("config.json", "tokenizer.json", "model.safetensors", "sub/big.bin"), result.files());
        assertEquals(List.of(
                "POST /api/repos/create",
                "POST /api/models/user/merged/preupload/main",
                "POST /user/merged.git/info/lfs/objects/batch",
                "PUT /storage/" + FakeHub.sha256(Files.readAllBytes(files.get(2))),
                "POST /user/merged.git/info/lfs/objects/verify",
                "PUT /storage/" + FakeHub.sha256(Files.readAllBytes(files.get(3))),
                "POST /user/merged.git/info/lfs/objects/verify",
                "POST /api/models/user/merged/commit/main"), hub.routes());
        assertRepoHoldsTheLocalFiles();

        JsonNode create = JSON.readTree(hub.calls().get(0).body());
        assertEquals("merged", create.path("name").asText());
        assertEquals("user", create.path("organization").asText());
        assertEquals("model", create.path("type").asText());
        assertFalse(create.path("private").asBoolean(true));
        for (FakeHub.Call call : hub.calls()) {
            String expected = call.method().equals("PUT") ? null : "Bearer " + TOKEN;
            assertEquals(expected, call.header("Authorization"), call.route());
        }
        String[] lines = new String(hub.calls().get(7).body(), StandardCharsets.UTF_8).split("\n");
        assertEquals(5, lines.length);
        JsonNode header = JSON.readTree(lines[0]);
        assertEquals("Merge a into b", header.path("value").path("summary").asText());
        assertEquals("file", JSON.readTree(lines[1]).path("key").asText());
        assertEquals("file", JSON.readTree(lines[2]).path("key").asText());
        JsonNode weights = JSON.readTree(lines[3]).path("value");
        assertEquals("model.safetensors", weights.path("path").asText());
        assertEquals(70_000, weights.path("size").asLong());
    }

    @Test
    void aRepoThatExistsAlreadyIsFine() throws IOException {
        hub.withRepo("user/merged");
        push("user/merged");
        assertEquals(List.of(), hub.problems());
        assertRepoHoldsTheLocalFiles();
    }

    @Test
    void aRepoWithoutOwnerGoesToTheTokensNamespace() throws IOException {
        push("merged");
        assertEquals(List.of(), hub.problems());
        assertTrue(JSON.readTree(hub.calls().get(0).body()).path("organization").isMissingNode());
        assertRepoHoldsTheLocalFiles();
    }

    @Test
    void bytesTheHubHasAlreadyAreNotUploadedAgain() throws IOException {
        hub.withLfsObject(Files.readAllBytes(files.get(2)));
        push("user/merged");
        assertEquals(List.of(), hub.problems());
        assertEquals(1, hub.routes().stream().filter(r -> r.startsWith("PUT")).count());
        assertRepoHoldsTheLocalFiles();
    }

    @Test
    void filesTheRepoIgnoresAreLeftOut() {
        hub.ignoring("tokenizer.json");
        PushResult result = push("user/merged");
        assertEquals(List.of(), hub.problems());
        assertEquals(List.of("config.json", "model.safetensors", "sub/big.bin"), result.files());
        assertFalse(hub.repoFiles().containsKey("tokenizer.json"));
    }

    @Test
    void aWrongTokenFailsAtCreateWithStatusAndWithoutTheToken() {
        String wrong = "hf_WrongToken9876543210zyxwvu";
        HubException e = assertThrows(HubException.class,
                () -> client(wrong).push(RepoId.parse("user/x"), folder, files, "s", "d"));
        assertEquals(401, e.status());
        assertTrue(e.getMessage().startsWith("push to hub: creating repo user/x failed: 401 Unauthorized"), e.getMessage());
        // the fake echoes the Authorization header it got: the client must have masked it
        assertTrue(e.getMessage().contains("Bearer " + HubToken.MASK), e.getMessage());
        assertFalse(e.getMessage().contains(wrong), e.getMessage());
        assertEquals(List.of("POST /api/repos/create"), hub.routes());
    }

    @Test
    void aFailedCommitNamesTheStepAndStatus() {
        hub.failing("commit", 500);
        HubException e = assertThrows(HubException.class, () -> push("user/x"));
        assertTrue(e.getMessage().startsWith("push to hub: committing 4 file(s) to user/x failed: 500 Internal Server Error"),
                e.getMessage());
        assertFalse(e.getMessage().contains(TOKEN), e.getMessage());
        assertTrue(hub.repoFiles().isEmpty());
    }

    @Test
    void aFailedUploadNamesTheFile() {
        hub.failing("put", 403);
        HubException e = assertThrows(HubException.class, () -> push("user/x"));
        assertTrue(e.getMessage().startsWith("push to hub: uploading model.safetensors failed: 403 Forbidden"), e.getMessage());
        assertFalse(hub.routes().contains("POST /api/models/user/x/commit/main"));
    }

    @Test
    void anUnreachableHubNamesTheStep() {
        String url = hub.url();
        hub.close();
        HubClient client = HubClient.create(HubEndpoint.of(url), HubToken.of(TOKEN));
        HubException e = assertThrows(HubException.class, () -> client.createRepo(RepoId.parse("user/x")));
        assertTrue(e.getMessage().startsWith("push to hub: creating repo user/x failed: cannot reach " + url), e.getMessage());
        assertEquals(0, e.status());
    }

    @Test
    void theClientDoesNotPrintTheToken() {
        assertFalse(client(TOKEN).toString().contains(TOKEN));
        assertEquals(HubToken.MASK, HubToken.of(TOKEN).toString());
        assertNull(HubToken.of(TOKEN).mask(null));
    }
}
