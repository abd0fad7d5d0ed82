package io.jlora.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.lora.MergeOptions;
import io.jlora.lora.MergeResult;
import io.jlora.lora.MergeTool;
import io.jlora.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merge and push: the repo receives exactly what the merge tool writes to a folder, and the
 * temporary folder is gone afterwards, also when the push fails.
 */
class MergeToHubTest {

    private static final Path BASE = TestFiles.golden("llama-tiny/model");
    private static final Path ADAPTER = TestFiles.golden("llama-tiny/adapter");

    @TempDir
    Path tmp;

    @Test
    void theRepoGetsTheMergedFilesAndTheTemporaryFolderIsDeleted() throws Exception {
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        MergeResult local = MergeTool.merge(BASE, ADAPTER, tmp.resolve("local"));
        try (FakeHub hub = new FakeHub(HubClientTest.TOKEN)) {
            HubClient client = HubClient.create(HubEndpoint.of(hub.url()), HubToken.of(HubClientTest.TOKEN));
            MergeToHub.Result r = new MergeToHub(client, scratch)
                    .mergeAndPush(BASE, ADAPTER, RepoId.parse("user/merged"), MergeOptions.defaults());

            assertEquals(java.util.List.of(), hub.problems());
            assertEquals(hub.url() + "/user/merged", r.push().url());
            assertEquals(local.files().size(), r.push().files().size());
            assertEquals(local.files().size(), hub.repoFiles().size());
            for (Path f : local.files()) {
                String name = local.output().relativize(f).toString();
                assertArrayEquals(Files.readAllBytes(f), hub.repoFiles().get(name), name);
            }
            assertTrue(r.push().files().contains("model.safetensors"));
            assertTrue(r.seconds() > 0);
        }
        assertEmpty(scratch);
    }

    @Test
    void theTemporaryFolderIsDeletedWhenThePushFails() throws Exception {
        Path scratch = Files.createDirectories(tmp.resolve("scratch"));
        try (FakeHub hub = new FakeHub(HubClientTest.TOKEN).failing("commit", 503)) {
            HubClient client = HubClient.create(HubEndpoint.of(hub.url()), HubToken.of(HubClientTest.TOKEN));
            HubException e = assertThrows(HubException.class, () -> new MergeToHub(client, scratch)
                    .mergeAndPush(BASE, ADAPTER, RepoId.parse("user/merged"), MergeOptions.defaults()));
            assertTrue(e.getMessage().contains("503 Service Unavailable"), e.getMessage());
        }
        assertEmpty(scratch);
    }

    private static void assertEmpty(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(java.util.List.of(), s.toList());
        }
    }
}
