package io.jlora.magics;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.magics.commands.CommandRunner;
import io.jlora.model.CausalLm;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train/dpo --peft false, save after full fine-tuning, compare (chart PNG and table) and memory --measure. */
class FullFineTuningCommandsTest extends SessionPerTest {

    JsonNode json(CommandResult r) {
        return JSON.valueToTree(r.json());
    }

    /** Sentences in the golden tokenizer's vocabulary (it was trained on this text). */
    Path texts(int n) throws Exception {
        String[] lines = {"Low-rank adaptation trains two small matrices beside every frozen weight.",
                "The base model stays in place; only the adapter learns.", "Quantized bases keep memory low."};
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(JSON.writeValueAsString(java.util.Map.of("text", lines[i % 3] + " " + lines[(i + 1) % 3])));
        Path f = tmp.resolve("texts.jsonl");
        Files.write(f, rows);
        return f;
    }

    @Test
    void compareDrawsEveryLossCurveAndTabulatesEachRun() throws Exception {
        Path png = tmp.resolve("chart.png");
        CommandResult result = run("compare", "--model", GOLDEN.toString(), "--file", texts(8).toString(), "--eval-split", "0.25",
                "--max-seq-length", "32", "--configs", "r4,r8+nf4,full", "--steps", "4", "--batch-size", "2", "--lr", "1e-3",
                "--plot-file", png.toString(), "--output-folder", tmp.resolve("runs").toString());
        JsonNode j = json(result);
        JsonNode runs = j.get("runs");
        assertEquals(3, runs.size());
        assertEquals(List.of("LoRA r4", "LoRA r8 + nf4", "full"), List.of(runs.get(0).get("name").asText(),
                runs.get(1).get("name").asText(), runs.get(2).get("name").asText()));
        for (JsonNode r : runs) {
            assertEquals(4, r.get("losses").size(), r.toString());
            assertEquals(4, r.get("steps").asInt());
            assertTrue(r.get("eval_loss").isNumber() && r.get("tokens_per_s").asDouble() > 0 && r.get("peak_rss_mb").asDouble() > 0, r.toString());
            assertTrue(r.get("last_loss").asDouble() < r.get("first_loss").asDouble(), r.toString());
        }
        JsonNode lora = runs.get(0);
        JsonNode full = runs.get(2);
        // LoRA starts with B = 0: both runs see the base model's loss on the same first batch
        assertEquals(full.get("first_loss").asDouble(), lora.get("first_loss").asDouble(), 1e-4);
        assertEquals(133_440, full.get("trainable_parameters").asLong(), "every weight of llama-tiny");
        // r 4 on the 14 projections: q,o 64x64, k,v 32x64, gate,up 176x64, down 64x176, two layers
        assertEquals(2L * 4 * ((64 + 64) * 2 + (64 + 32) * 2 + (64 + 176) * 3), lora.get("trainable_parameters").asLong());
        assertTrue(full.get("output_mb").asDouble() > 0.5, "the whole float32 model: " + full);
        assertTrue(lora.get("output_mb").asDouble() < 0.1, "the adapter only: " + lora);
        assertTrue(Files.isRegularFile(tmp.resolve("runs/full/model.safetensors")));
        assertTrue(Files.isRegularFile(tmp.resolve("runs/lora-r8-nf4/adapter_model.safetensors")));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(960, image.getWidth());
        int[] seriesColours = {0x1F77B4, 0xFF7F0E, 0x2CA02C};
        for (int colour : seriesColours) {
            assertTrue(count(image, colour) > 50, "a curve drawn in " + Integer.toHexString(colour));
        }
        assertEquals(png.toString(), j.get("plot").asText());

        String table = result.text();
        for (String label : List.of("LoRA r4", "LoRA r8 + nf4", "full", "trainable params", "peak memory", "tokens/s", "output (MiB)")) {
            assertTrue(table.contains(label), label + " in\n" + table);
        }
        assertTrue(table.contains("133,440"), table);
        assertTrue(result.html().contains("<th>eval loss</th>"), result.html());
    }

    static int count(BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) n++;
            }
        }
        return n;
    }

    @Test
    void compareRejectsAnUnknownConfiguration() {
        var e = assertThrows(CommandRunner.UsageException.class, () -> run("compare", "--model", GOLDEN.toString(), "--configs", "r8,huge"));
        assertTrue(e.getMessage().contains("'huge'"), e.getMessage());
    }

    @Test
    void fullFineTuningTrainsEveryWeightAndSaveWritesTheWholeModel() throws Exception {
        JsonNode trained = json(run("train", "--model", GOLDEN.toString(), "--file", texts(8).toString(), "--max-seq-length", "32",
                "--peft", "false", "--steps", "5", "--batch-size", "4", "--lr", "1e-3", "--json"));
        assertEquals(5, trained.get("steps").asInt());
        assertTrue(trained.get("last_loss").asDouble() < trained.get("first_loss").asDouble(), trained.toString());
        assertTrue(session.adapters().names().isEmpty(), "no adapter was attached");
        var e = assertThrows(CommandRunner.UsageException.class, () -> run("save", "--output-folder", tmp.resolve("a").toString(), "--adapter-only"));
        assertTrue(e.getMessage().contains("fully fine-tuned"), e.getMessage());
        Path out = tmp.resolve("saved");
        run("save", "--output-folder", out.toString());
        float[] trainedNorm = session.model().decoder().parameters().get("model.layers.0.input_layernorm.weight").toFloatArray();
        try (CausalLm saved = CausalLm.load(out, "cpu", "auto"); CausalLm base = CausalLm.load(GOLDEN, "cpu", "auto")) {
            for (String key : base.decoder().parameters().keySet()) {
                float[] a = saved.decoder().parameters().get(key).toFloatArray();
                float[] live = session.model().decoder().parameters().get(key).toFloatArray();
                float[] b = base.decoder().parameters().get(key).toFloatArray();
                assertTrue(java.util.Arrays.equals(a, live), key + ": saved = trained");
                assertTrue(!java.util.Arrays.equals(a, b), key + ": trained differs from the base");
            }
            assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        }
        assertNotEquals(0, trainedNorm.length);
        // the saved folder loads with 'load' too
        JsonNode loaded = json(run("load", "--model", out.toString()));
        assertEquals("llama", loaded.get("family").asText());
    }

    @Test
    void fullFineTuningRefusesAnAdaptedModelWithAClearMessage() throws Exception {
        run("load", "--model", GOLDEN.toString());
        run("attach", "--lora-r", "4");
        run("data", "--file", texts(4).toString());
        var e = assertThrows(io.jlora.JloraException.class, () -> run("train", "--peft", "false", "--steps", "1"));
        assertTrue(e.getMessage().contains("unload the adapters"), e.getMessage());
    }

    @Test
    void dpoWithoutAnAdapterStartsAtLog2AndLearns() throws Exception {
        String[] words = {"adaptation trains", "the base model", "memory low", "two small matrices"};
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            rows.add(JSON.writeValueAsString(java.util.Map.of("prompt", "Low-rank " + words[i % 4], "chosen", " stays in place.",
                    "rejected", " keep " + words[(i + 1) % 4])));
        }
        Path prefs = tmp.resolve("prefs.jsonl");
        Files.write(prefs, rows);
        JsonNode j = json(run("dpo", "--model", GOLDEN.toString(), "--file", prefs.toString(), "--peft", "false", "--steps", "6",
                "--batch-size", "3", "--lr", "1e-3", "--warmup-ratio", "0"));
        assertEquals(Math.log(2), j.get("first_loss").asDouble(), 1e-6, "policy = initial weights = reference");
        assertTrue(j.get("last_loss").asDouble() < 0.6, j.toString());
    }

    @Test
    void memoryMeasuresEachColumnBesideItsEstimate() throws Exception {
        CommandResult r = run("memory", "--model", GOLDEN.toString(), "--batch-size", "2", "--seq-len", "64", "--measure");
        JsonNode j = json(r);
        assertTrue(j.get("full_gb").isNumber());
        double full = j.get("full_measured_mb").asDouble();
        // weights, gradients and two AdamW moments of 133,440 floats alone are 2 MiB
        assertTrue(full > 2 && full < 2048, j.toString());
        for (String column : List.of("lora", "lora_4bit")) {
            double mb = j.get(column + "_measured_mb").asDouble();
            assertTrue(mb > 0 && mb < 2048, column + ": " + j);
        }
        assertEquals(3, r.text().split("measured ", -1).length - 1, r.text());
        assertEquals(3, r.html().split("measured ", -1).length - 1, r.html());
    }

    @Test
    void memoryRefusesANonFourBitQuantizationForTheFourBitColumn() {
        Exception e = assertThrows(Exception.class,
                () -> run("memory", "--model", GOLDEN.toString(), "--quantization", "int8"));
        assertTrue(e.getMessage().contains("--quantization"), e.getMessage());
    }
}
