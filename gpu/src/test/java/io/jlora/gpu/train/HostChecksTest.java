package io.jlora.gpu.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The device checks' host halves: the op comparison harness and the fine-tune case, on the host backend. */
class HostChecksTest {

    @Test
    void opsCheckOfTheHostAgainstItselfPassesEveryLine() {
        try (HostOps a = new HostOps(); HostOps b = new HostOps()) {
            var lines = new OpsCheck(a, b, 1).run();
            assertTrue(lines.size() > 25, "lines: " + lines.size());
            lines.forEach(l -> assertEquals(0.0, l.relError(), 0.0, l.toString()));
        }
    }

    @Test
    void theFineTuneCaseLowersTheLoss() {
        try (HostOps ops = new HostOps()) {
            float[] losses = FineTuneCase.run(ops, GoldenStepTest.GOLDEN, 20);
            assertTrue(losses[20] < 0.85f * losses[0], losses[0] + " -> " + losses[20]);
        }
    }

    @Test
    void bf16RoundingIsToNearestEven() {
        assertEquals((short) 0x3f80, io.jlora.io.Bfloat16.round(1f));
        assertEquals((short) 0x3f80, io.jlora.io.Bfloat16.round(Float.intBitsToFloat(0x3f808000))); // tie -> even
        assertEquals((short) 0x3f82, io.jlora.io.Bfloat16.round(Float.intBitsToFloat(0x3f818000))); // tie -> even (up)
        assertEquals((short) 0x3f81, io.jlora.io.Bfloat16.round(Float.intBitsToFloat(0x3f808001)));
    }

    @Test
    void randomWeightsTrainFromAboutLnVocab() {
        var shape = new io.jlora.gpu.ModelShape(32, 2, 4, 2, 8, 48, 97);
        var spec = new DecoderSpec(shape, 1e-5f, (float) (1 / Math.sqrt(8)),
                io.jlora.model.RopeConfig.plain(10000).inverseFrequencies(8), true);
        try (HostOps ops = new HostOps(); BaseWeights w = BaseWeights.random(ops, spec, 1);
                LoraParams lora = new LoraParams(ops, shape, 4, 2f);
                LoraStep step = new LoraStep(ops, spec, w, lora, 2, 12, true, 5)) {
            lora.initDefault(3);
            int[] ids = new int[24];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (i * 37) % 97;
            }
            PhaseTimes times = new PhaseTimes();
            step.timePhases(times);
            float loss = step.forwardBackward(ids);
            step.optimizerStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1f);
            assertEquals(Math.log(97), loss, 0.2, "loss of a random model");
            assertEquals(java.util.List.of("forward", "head+loss", "recompute", "backward", "optimizer"),
                    java.util.List.copyOf(times.seconds().keySet()));
        }
    }
}
