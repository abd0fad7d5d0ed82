package io.jlora.kernel.install;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelSpecInstallerTest {
    @TempDir
    Path tmp;

    @Test
    void theSpecCarriesItsOwnCopyOfTheClassPath() throws Exception {
        Path spec = new KernelSpecInstaller("jlora-test", KernelSpecInstaller.InterruptMode.MESSAGE, List.of(), false)
                .install(tmp.resolve("kernels"));
        JsonObject json = JsonParser.parseString(Files.readString(spec.resolve("kernel.json"))).getAsJsonObject();
        JsonArray argv = json.getAsJsonArray("argv");
        int cp = argv.asList().stream().map(e -> e.getAsString()).toList().indexOf("-cp");
        String[] entries = argv.get(cp + 1).getAsString().split(File.pathSeparator);
        String[] installerEntries = System.getProperty("java.class.path").split(File.pathSeparator);
        assertEquals(installerEntries.length, entries.length, "one copy per class path entry");
        for (String entry : entries) {
            Path copy = Path.of(entry);
            assertTrue(copy.startsWith(spec.resolve("lib")), entry + " lies outside the kernelspec");
            assertTrue(Files.exists(copy), entry + " was not copied");
        }
        assertTrue(Files.exists(spec.resolve("logo-64x64.png")));
        try (var leftovers = Files.list(tmp.resolve("kernels"))) {
            assertEquals(List.of(spec), leftovers.toList(), "no staging folder is left behind");
        }
    }
}
