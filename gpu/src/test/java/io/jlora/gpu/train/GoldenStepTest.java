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

    @org.junit.jupiter.api.Test
    void refusesWhatItDoesNotCompute() {
        var config = ModelConfigReader.read(GOLDEN.resolve("model"));
        var spec = DecoderSpec.of(config, 16);
        assertEquals(64, spec.shape().hidden());
    }
}
