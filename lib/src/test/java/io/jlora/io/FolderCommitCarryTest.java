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
        Path out = tmp.resolve("out");
        Path staging = killedWhileCarrying(out, "new weights", true);
        assertEquals(staging, FolderCommit.readable(out.toAbsolutePath()), "a reader meanwhile sees the complete new set");
        assertRecoveredTo(out, "new weights");
    }

    @Test
    void aKillBeforeTheNewSetIsCompleteKeepsTheOldResultAndEveryCheckpoint() throws Exception {
        // no manifest in the staged set: the old set moves back, and the checkpoint carried into
        // the staged set comes back with it
        Path out = tmp.resolve("out");
        killedWhileCarrying(out, "half", false);
        assertRecoveredTo(out, "old weights");
    }

    /**
     * The state a kill leaves between carrying checkpoint-2 and checkpoint-4: the old set (old
     * weights, checkpoint-4) moved aside, and the new set staged with {@code stagedWeights} and
     * checkpoint-2 already carried into it; {@code complete} says whether the staged set's manifest
     * was written before the carrying began. Returns the staging folder.
     */
    private static Path killedWhileCarrying(Path out, String stagedWeights, boolean complete) throws Exception {
        Path old = FolderCommit.oldOf(out.toAbsolutePath());
        Path staging = FolderCommit.stagingOf(out.toAbsolutePath());
        checkpoint(old, 4);
        Files.writeString(old.resolve("model.safetensors"), "old weights");
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("model.safetensors"), stagedWeights);
        if (complete) {
            FolderManifest.compute(staging).write(staging);
        }
        checkpoint(staging, 2);
        return staging;
    }

    /** Recovers {@code out}: it holds {@code weights}, both checkpoints, and nothing is left beside it. */
    private void assertRecoveredTo(Path out, String weights) throws Exception {
        FolderCommit.recover(out);
        assertEquals(weights, Files.readString(out.resolve("model.safetensors")));
        assertCheckpointsIntact(out, 2, 4);
        assertEquals(List.of(out.getFileName().toString()), names(tmp));
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
