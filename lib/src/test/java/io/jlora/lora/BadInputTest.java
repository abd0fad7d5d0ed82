package io.jlora.lora;

import static io.jlora.testing.GoldenLlamaTiny.DIR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.JloraException;
import io.jlora.io.ModelFormatException;
import io.jlora.model.CausalLm;
import io.jlora.model.DenseLinear;
import io.jlora.model.Family;
import io.jlora.model.RandomModels;
import io.jlora.testing.GoldenLlamaTiny;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input fails with a message that names the file, key or folder at fault, and leaves neither
 * the model nor the disk half-changed.
 */
class BadInputTest {

    @RegisterExtension
    static final GoldenLlamaTiny GOLDEN = new GoldenLlamaTiny();
    private static Map<String, float[]> baseWeights;

    @TempDir
    Path tmp;

    /** Each test's own starting point: an earlier merge/unmerge may have moved weights by a rounding. */
    @BeforeEach
    void snapshot() {
        baseWeights = LoraTesting.snapshot(GOLDEN.lm());
    }

    private void assertModelUntouched() {
        assertTrue(GOLDEN.lm().decoder().linears().values().stream().allMatch(l -> l instanceof DenseLinear), "no layer wrapped");
        assertTrue(Adapters.of(GOLDEN.lm()).names().isEmpty());
        assertEquals(0, LoraTesting.maxDiff(baseWeights, LoraTesting.snapshot(GOLDEN.lm())));
    }

    @Test
    void adapterShapesThatDoNotFitTheModel() {
        // the golden adapter is for hidden 64; this model has hidden 32 and the same module names
        Path other = RandomModels.write(tmp.resolve("other"), Family.LLAMA, 32, 2, 4, 2, 176, 320, 1);
        try (CausalLm small = CausalLm.load(other, "cpu", "auto")) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> Adapters.of(small).load(DIR.resolve("adapter"), "default"));
            assertTrue(e.getMessage().contains("adapter_model.safetensors") && e.key().startsWith("base_model.model.model.layers.")
                    && e.getMessage().contains("does not fit the model"), e.getMessage());
            assertTrue(small.decoder().linears().values().stream().allMatch(l -> l instanceof DenseLinear));
        }
        ModelFormatException merge = assertThrows(ModelFormatException.class,
                () -> MergeTool.merge(other, DIR.resolve("adapter"), tmp.resolve("merged")));
        assertTrue(merge.getMessage().contains("does not fit the model"), merge.getMessage());
        assertFalse(Files.exists(tmp.resolve("merged")));
        assertNoTemporaryFolders(tmp);
    }

    @Test
    void targetModulesThatDoNotFitTheModel() throws IOException {
        Path bad = copyAdapter("adapter", "bad-targets");
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(bad.resolve("adapter_config.json").toFile());
        config.putArray("target_modules").add("query").add("value");
        new ObjectMapper().writeValue(bad.resolve("adapter_config.json").toFile(), config);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Adapters.of(GOLDEN.lm()).load(bad, "default"));
        assertEquals("target_modules", e.key());
        assertTrue(e.getMessage().contains("adapter_config.json") && e.getMessage().contains("model.layers.{0..1}.self_attn.q_proj"),
                e.getMessage());
        assertModelUntouched();

        // weights for a module the config does not target
        config.putArray("target_modules").add("q_proj");
        new ObjectMapper().writeValue(bad.resolve("adapter_config.json").toFile(), config);
        ModelFormatException extra = assertThrows(ModelFormatException.class, () -> Adapters.of(GOLDEN.lm()).load(bad, "default"));
        assertTrue(extra.getMessage().contains("does not target it"), extra.getMessage());
        assertModelUntouched();

        // attaching with names the model lacks lists its layers
        JloraException attach = assertThrows(JloraException.class,
                () -> Adapters.of(GOLDEN.lm()).add("x", LoraConfig.builder().targetModules("c_attn").build()));
        assertTrue(attach.getMessage().contains("model.layers.{0..1}.mlp.down_proj, lm_head"), attach.getMessage());
        assertModelUntouched();
    }

    @Test
    void aMissingAdapterConfigIsAClearError() throws IOException {
        Path noConfig = copyAdapter("adapter", "no-config");
        Files.delete(noConfig.resolve("adapter_config.json"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Adapters.of(GOLDEN.lm()).load(noConfig, "default"));
        assertTrue(e.getMessage().contains("adapter_config.json") && e.getMessage().contains("missing"), e.getMessage());
        ModelFormatException none = assertThrows(ModelFormatException.class,
                () -> Adapters.of(GOLDEN.lm()).load(tmp.resolve("does-not-exist"), "default"));
        assertTrue(none.getMessage().contains("does not exist"), none.getMessage());
        assertThrows(ModelFormatException.class, () -> MergeTool.merge(DIR.resolve("model"), noConfig, tmp.resolve("m")));
        assertFalse(Files.exists(tmp.resolve("m")));
        assertModelUntouched();
    }

    @Test
    void unsupportedAdapterOptionsAreRefusedByName() throws IOException {
        Path bad = copyAdapter("adapter", "bias");
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(bad.resolve("adapter_config.json").toFile());
        config.put("bias", "all");
        new ObjectMapper().writeValue(bad.resolve("adapter_config.json").toFile(), config);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Adapters.of(GOLDEN.lm()).load(bad, "default"));
        assertEquals("bias", e.key());
        assertModelUntouched();
    }

    @Test
    void outputFolderEqualToTheBaseIsRefused() throws IOException {
        Path base = tmp.resolve("base");
        copyFolder(DIR.resolve("model"), base);
        byte[] before = Files.readAllBytes(base.resolve("model.safetensors"));
        JloraException e = assertThrows(JloraException.class, () -> MergeTool.merge(base, DIR.resolve("adapter"), base));
        assertTrue(e.getMessage().contains("is the input folder"), e.getMessage());
        JloraException parent = assertThrows(JloraException.class, () -> MergeTool.merge(base, DIR.resolve("adapter"), tmp,
                MergeOptions.defaults().withOverwrite(true)));
        assertTrue(parent.getMessage().contains("contains the input folder"), parent.getMessage());
        assertArrayEquals(before, Files.readAllBytes(base.resolve("model.safetensors")));
        Adapters adapters = Adapters.of(GOLDEN.lm());
        adapters.load(DIR.resolve("adapter"), "default");
        try {
            JloraException saved = assertThrows(JloraException.class, () -> adapters.saveMerged(GOLDEN.lm().dir(), true));
            assertTrue(saved.getMessage().contains("is the input folder"), saved.getMessage());
        } finally {
            adapters.unload();
        }
        assertNoTemporaryFolders(tmp);
    }

    @Test
    void anExistingNonEmptyOutputFolderIsRefusedUnlessOverwriting() throws IOException {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        JloraException e = assertThrows(JloraException.class,
                () -> MergeTool.merge(DIR.resolve("model"), DIR.resolve("adapter"), out));
        assertTrue(e.getMessage().contains("exists and is not empty"), e.getMessage());
        assertEquals(List.of(out.resolve("keep.txt")), list(out));
        MergeResult r = MergeTool.merge(DIR.resolve("model"), DIR.resolve("adapter"), out,
                MergeOptions.defaults().withOverwrite(true));
        assertFalse(Files.exists(out.resolve("keep.txt")), "replaced");
        assertTrue(r.files().stream().allMatch(Files::isRegularFile));
        assertEquals(r.files().size() + 1, list(out).size(), "the written files and the checksum manifest");
        assertTrue(Files.isRegularFile(out.resolve(io.jlora.io.FolderManifest.FILE)));
        LoraTesting.assertSameWeights(DIR.resolve("merged"), out, 1e-5);
        // an empty folder is fine without overwrite
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        MergeTool.merge(DIR.resolve("model"), DIR.resolve("adapter"), empty);
        assertNoTemporaryFolders(tmp);
    }

    @Test
    void aFailureWhileWritingLeavesNothingBehind() {
        Path out = tmp.resolve("half");
        try (OutputFolder folder = OutputFolder.open(out, false)) {
            Files.writeString(folder.temp().resolve("config.json"), "{}");
            throw new IllegalStateException("disk full");
        } catch (IOException | IllegalStateException expected) {
            // what a failing writer would throw
        }
        assertFalse(Files.exists(out));
        assertNoTemporaryFolders(tmp);
    }

    @Test
    void adapterNamesAndStateErrors() {
        Adapters adapters = Adapters.of(GOLDEN.lm());
        adapters.load(DIR.resolve("adapter"), "default");
        try {
            assertThrows(JloraException.class, () -> adapters.load(DIR.resolve("adapter"), "default"), "name taken");
            assertThrows(JloraException.class, () -> adapters.use("nope"));
            adapters.merge();
            JloraException merged = assertThrows(JloraException.class, () -> adapters.add("b", LoraConfig.defaults()));
            assertTrue(merged.getMessage().contains("unmerge"), merged.getMessage());
            adapters.unmerge();
        } finally {
            adapters.unload();
        }
        assertTrue(Adapters.of(GOLDEN.lm()).names().isEmpty());
        assertTrue(LoraTesting.maxDiff(baseWeights, LoraTesting.snapshot(GOLDEN.lm())) < 1e-6);
    }

    private Path copyAdapter(String golden, String name) throws IOException {
        Path dir = tmp.resolve(name);
        copyFolder(DIR.resolve(golden), dir);
        return dir;
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path f : list(from)) {
            Files.copy(f, to.resolve(f.getFileName()));
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static void assertNoTemporaryFolders(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> leftovers = s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertTrue(leftovers.isEmpty(), "left behind: " + leftovers);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
