package io.jlora.gpu.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.model.ModelConfigReader;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GPU step's logic, run on the host backend in fp32, against transformers 5.17 + PEFT 0.21 on the
 * shared llama-tiny golden vectors (logits, loss, every LoRA gradient, one AdamW step). The device
 * check runs the same {@link GoldenCase} on {@link CudaOps} with bf16 tolerances.
 */
class GoldenStepTest {

    static final Path GOLDEN = Path.of("../lib/src/test/resources/golden/llama-tiny");

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void matchesPeftInFp32(boolean checkpointing) {
        try (HostOps ops = new HostOps()) {
            GoldenCase.Result r = GoldenCase.run(ops, GOLDEN, checkpointing);
            System.out.println("host step vs PEFT (checkpointing " + checkpointing + "): " + r);
            assertTrue(r.logitsError() < 1e-4, "logits max |diff| " + r.logitsError());
            assertEquals(r.goldenLoss(), r.loss(), 1e-5, "loss");
            assertTrue(r.gradError() < 1e-4, "gradients: worst relative error " + r.gradError() + " at " + r.worstGrad());
            assertTrue(r.stepError() < 1e-5, "AdamW step: worst |diff| " + r.stepError());
        }
    }

    /** Qwen2 (q/k/v biases) and Qwen3 (per-head qk-norm): gpu/src/test/resources/golden-families/make_golden.py. */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2-tiny", "qwen3-tiny"})
    void otherFamiliesMatchPeftInFp32(String family) {
        try (HostOps ops = new HostOps()) {
            GoldenCase.Result r = GoldenCase.run(ops, FAMILIES.resolve(family), true);
            System.out.println("host step vs PEFT (" + family + "): " + r);
            assertTrue(r.logitsError() < 1e-4, "logits max |diff| " + r.logitsError());
            assertEquals(r.goldenLoss(), r.loss(), 1e-5, "loss");
            assertTrue(r.gradError() < 1e-4, "gradients: worst relative error " + r.gradError() + " at " + r.worstGrad());
        }
    }

    static final Path FAMILIES = Path.of("src/test/resources/golden-families");

    @org.junit.jupiter.api.Test
    void refusesWhatItDoesNotCompute() {
        var config = ModelConfigReader.read(GOLDEN.resolve("model"));
        var spec = DecoderSpec.of(config, 16);
        assertEquals(64, spec.shape().hidden());
    }
}
