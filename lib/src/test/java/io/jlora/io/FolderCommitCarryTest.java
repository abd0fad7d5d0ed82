package io.jlora.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training output folder holds its result at its root and checkpoint-STEP folders beside it:
 * committing the result must keep the checkpoints, whenever a kill strikes.
 */
class FolderCommitCarryTest {

    @TempDir
    Path tmp;

    private static void checkpoint(Path dir, long step) throws Exception {
        Path c = Files.createDirectories(dir.resolve("checkpoint-" + step));
        Files.writeString(c.resolve("trainer_state.json"), "{\"step\": " + step + "}");
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertCheckpointsIntact(Path out, long... steps) throws Exception {
        for (long step : steps) {
            assertEquals("{\"step\": " + step + "}", Files.readString(out.resolve("checkpoint-" + step).resolve("trainer_state.json")));
        }
    }

    @Test
    void committingTheResultKeepsTheCheckpointsAndLeavesThemOutOfTheManifest() throws Exception {
        Path out = tmp.resolve("run.v1"); // a '.' in the name, as everyday folders have
        checkpoint(out, 2);
        checkpoint(out, 4);
        Files.writeString(out.resolve("stale.txt"), "an older result");
        try (FolderCommit commit = FolderCommit.begin(out)) {
            Files.writeString(commit.staging().resolve("model.safetensors"), "weights");
            commit.commit();
        }
        assertEquals(List.of("checkpoint-2", "checkpoint-4", FolderManifest.FILE, "model.safetensors"), names(out));
        assertCheckpointsIntact(out, 2, 4);
        assertEquals(List.of("model.safetensors"), List.copyOf(FolderManifest.read(out).orElseThrow().files().keySet()));
        assertTrue(FolderManifest.verify(out, FolderManifest.Check.SHA256));
        assertEquals(List.of("run.v1"), names(tmp), "no staging or old folder is left beside it");
    }

    @Test
    void aKillWhileCarryingLosesNoCheckpoint() throws Exception {
        // the state a kill leaves between carrying checkpoint-2 and checkpoint-4: the old set moved
        // aside, the complete new set staged with one checkpoint already in it
        Path out = tmp.resolve("out");
        Path old = FolderCommit.oldOf(out.toAbsolutePath());
        Path staging = FolderCommit.stagingOf(out.toAbsolutePath());
        checkpoint(old, 4);
        Files.writeString(old.resolve("model.safetensors"), "old weights");
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("model.safetensors"), "new weights");
        FolderManifest.compute(staging).write(staging);
        checkpoint(staging, 2);

        assertEquals(staging, FolderCommit.readable(out.toAbsolutePath()), "a reader meanwhile sees the complete new set");
        FolderCommit.recover(out);

        assertEquals("new weights", Files.readString(out.resolve("model.safetensors")));
        assertCheckpointsIntact(out, 2, 4);
        assertEquals(List.of("out"), names(tmp));
    }

    @Test
    void aKillBeforeTheNewSetIsCompleteKeepsTheOldResultAndEveryCheckpoint() throws Exception {
        // no manifest in the staged set: the old set moves back, and the checkpoint carried into
        // the staged set comes back with it
        Path out = tmp.resolve("out");
        Path old = FolderCommit.oldOf(out.toAbsolutePath());
        Path staging = FolderCommit.stagingOf(out.toAbsolutePath());
        checkpoint(old, 4);
        Files.writeString(old.resolve("model.safetensors"), "old weights");
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("model.safetensors"), "half");
        checkpoint(staging, 2);

        FolderCommit.recover(out);

        assertEquals("old weights", Files.readString(out.resolve("model.safetensors")));
        assertCheckpointsIntact(out, 2, 4);
        assertEquals(List.of("out"), names(tmp));
    }

    @Test
    void aKillWhileStagingTheResultLeavesTheFolderAsItWas() throws Exception {
        Path out = tmp.resolve("out");
        checkpoint(out, 6);
        Path staging = FolderCommit.stagingOf(out.toAbsolutePath());
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("model.safetensors"), "half");

        FolderCommit.recover(out);

        assertEquals(List.of("checkpoint-6"), names(out));
        assertFalse(Files.exists(staging));
    }

    @Test
    void onlyCheckpointFoldersAreCarried() {
        assertTrue(FolderCommit.isCarried("checkpoint-10"));
        assertFalse(FolderCommit.isCarried("checkpoint-latest"));
        assertFalse(FolderCommit.isCarried("model.safetensors"));
        assertFalse(FolderCommit.isCarried(".checkpoint-10.jlora-new"));
    }
}
