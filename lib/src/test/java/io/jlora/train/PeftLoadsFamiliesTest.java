package io.jlora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.data.Example;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.testing.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapters jlora trains on each family of issue 17 load in Hugging Face PEFT 0.21, which scores them
 * within 1e-4 of jlora (check_peft_families.py beside this class's resources). Needs the reference
 * venv (torch, transformers 5.18, PEFT 0.21; {@code -Djlora.reference.python=...}, default
 * /work/venv/bin/python) and is skipped without it.
 */
class PeftLoadsFamiliesTest {

    private static final String PYTHON = System.getProperty("jlora.reference.python", "/work/venv/bin/python");
    private static final List<String> FAMILIES = List.of("gemma2-tiny", "gemma3-tiny", "phi3-tiny", "olmo2-tiny",
            "smollm3-tiny");
    private static final List<Example> EXAMPLES = List.of(
            Example.of(new long[] {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22}),
            Example.of(new long[] {30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47}));

    @Test
    void peftLoadsAndScoresJloraTrainedAdapters(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), "no reference venv at " + PYTHON);
        long[][] ids = {{3, 9, 27, 81, 115, 89, 11, 33, 99, 41, 123, 113, 83, 5, 15, 45, 7, 21, 63, 61}};
        List<Map<String, Object>> cases = new ArrayList<>();
        for (String name : FAMILIES) {
            Path model = TestFiles.reference(name).resolve("model");
            Path adapter = tmp.resolve(name);
            try (CausalLm lm = CausalLm.load(model, "cpu", "auto")) {
                // alpha 16 on r 4 and rslora off: PEFT must read the scale from the config
                Adapters.of(lm).add("default", LoraConfig.builder().r(4).loraAlpha(16).loraDropout(0)
                        .targetModules("all-linear").build(), 7);
                try (Trainer t = Trainer.sft(LoraTraining.of(lm), EXAMPLES, List.of(),
                        TrainerConfig.builder().batchSize(2).shuffle(false).steps(3).lr(1e-2).build())) {
                    t.train();
                }
                Adapters.of(lm).save("default", adapter);
                try (NDManager m = lm.manager().newSubManager()) {
                    NDArray logits = lm.decoder().forward(m.create(ids));
                    long[] shape = logits.getShape().getShape();
                    float[] flat = logits.toFloatArray();
                    float[][][] nested = new float[(int) shape[0]][(int) shape[1]][(int) shape[2]];
                    for (int i = 0; i < flat.length; i++) {
                        nested[(int) (i / (shape[1] * shape[2]))][(int) (i / shape[2] % shape[1])][(int) (i % shape[2])] = flat[i];
                    }
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("model", model.toString());
                    c.put("adapter", adapter.toString());
                    c.put("input_ids", ids);
                    c.put("logits", nested);
                    cases.add(c);
                }
            }
        }
        Path json = tmp.resolve("cases.json");
        new ObjectMapper().writeValue(json.toFile(), cases);
        Process p = new ProcessBuilder(PYTHON, TestFiles.resource("io/jlora/train/check_peft_families.py").toString(),
                json.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "reference timed out");
        assertEquals(0, p.exitValue(), out);
        assertEquals(FAMILIES.size(), out.lines().filter(l -> l.startsWith("ok ")).count(), out);
    }
}
