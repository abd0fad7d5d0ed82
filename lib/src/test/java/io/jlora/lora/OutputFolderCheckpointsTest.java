package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.JloraException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training run's output folder that holds only checkpoints takes its result without --overwrite. */
class OutputFolderCheckpointsTest {

    @TempDir
    Path tmp;

    @Test
    void aFolderOfCheckpointsTakesTheResultButAFolderWithFilesIsRefused() throws Exception {
        Path out = tmp.resolve("out");
        Files.createDirectories(out.resolve("checkpoint-5"));
        Files.createDirectories(out.resolve(".checkpoint-10.jlora-deleting"));
        assertDoesNotThrow(() -> OutputFolder.check(out, false));
        Files.writeString(out.resolve("notes.txt"), "mine");
        JloraException e = assertThrows(JloraException.class, () -> OutputFolder.check(out, false));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertDoesNotThrow(() -> OutputFolder.check(out, true));
    }
}
