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
        assertEquals((short) 0x3f80, CudaOps.toBf16(1f));
        assertEquals((short) 0x3f80, CudaOps.toBf16(Float.intBitsToFloat(0x3f808000))); // tie -> even
        assertEquals((short) 0x3f82, CudaOps.toBf16(Float.intBitsToFloat(0x3f818000))); // tie -> even (up)
        assertEquals((short) 0x3f81, CudaOps.toBf16(Float.intBitsToFloat(0x3f808001)));
    }
}
