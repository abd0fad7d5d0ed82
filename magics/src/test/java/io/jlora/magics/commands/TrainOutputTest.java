package io.jlora.magics.commands;

import io.jlora.magics.LoraSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The output folder of a one-shot train is judged before the first step; folder names never make bad adapter names. */
class TrainOutputTest {
    @TempDir
    Path tmp;

    @Test
    void aFolderWithAResultIsRefusedNamingOverwrite() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertDoesNotThrow(() -> TrainOutput.checkBeforeTraining(out, false, false, null)); // empty
        Files.writeString(out.resolve("model.safetensors"), "x");
        var e = assertThrows(CommandRunner.UsageException.class, () -> TrainOutput.checkBeforeTraining(out, false, false, null));
        assertTrue(e.getMessage().contains("--overwrite") && e.getMessage().contains("model.safetensors"), e.getMessage());
        assertDoesNotThrow(() -> TrainOutput.checkBeforeTraining(out, true, false, null));
    }

    @Test
    void aFolderOfCheckpointsAsksToResumeOrOverwrite() throws Exception {
        Path out = tmp.resolve("out");
        Files.createDirectories(out.resolve("checkpoint-10"));
        Files.createDirectories(out.resolve("checkpoint-2"));
        var e = assertThrows(CommandRunner.UsageException.class, () -> TrainOutput.checkBeforeTraining(out, false, false, null));
        assertTrue(e.getMessage().contains("--resume-from-checkpoint latest") && e.getMessage().contains("--overwrite"), e.getMessage());
        assertDoesNotThrow(() -> TrainOutput.checkBeforeTraining(out, false, true, null));
        assertEquals(out.resolve("checkpoint-10").toAbsolutePath(), TrainOutput.resumeFrom("latest", out).toAbsolutePath());
    }

    @Test
    void theModelsOwnFolderIsRefused() {
        Path model = tmp.resolve("model");
        var e = assertThrows(CommandRunner.UsageException.class, () -> TrainOutput.checkBeforeTraining(model, true, false, model));
        assertTrue(e.getMessage().contains("model folder"), e.getMessage());
    }

    @Test
    void adapterNamesFromFoldersHoldNoDot() {
        String a = LoraSession.adapterNameOf(Path.of("/tmp/tmp.x1/qwen2.5-lora"));
        String b = LoraSession.adapterNameOf(Path.of("/home/me/qwen2.5-lora"));
        assertTrue(a.startsWith("qwen2_5-lora-"), a);
        assertFalse(a.contains(".") || a.contains("/"), a);
        assertFalse(a.equals(b), "two folders of the same name stay apart");
    }
}
