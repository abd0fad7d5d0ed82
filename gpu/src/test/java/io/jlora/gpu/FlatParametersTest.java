package io.jlora.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.gpu.FlatParameters.Entry;
import io.jlora.gpu.FlatParameters.Region;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlatParametersTest {

    @Test
    void llama32OneBillionAllLinearRank16MatchesPeftsTrainableCount() {
        FlatParameters p = FlatParameters.layout(ModelShape.LLAMA_3_2_1B, 16, FlatParameters.ALL_LINEAR);
        // PEFT 0.21's trainable count for Llama-3.2-1B, r=16, all-linear: 11,272,192 (counted on a meta-device
        // model with /work/venv; bench/gpu/peft_peer.py prints it as "trainable" on the device)
        assertEquals(11_272_192L, p.parameters());
        assertEquals(16 * 7 * 2, p.entries().size());
        // every size is a multiple of 64 here, so no padding: 4 fp32 regions + 1 bf16 region
        assertEquals(p.parameters(), p.elements());
        assertEquals(18L * 11_272_192L, p.totalBytes());
    }

    @Test
    void entriesFollowPeftOrderAndShapes() {
        FlatParameters p = FlatParameters.layout(ModelShape.LLAMA_3_2_1B, 16, FlatParameters.ALL_LINEAR);
        Entry first = p.entries().get(0);
        assertEquals("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", first.key());
        assertEquals(0, first.offset());
        Entry kB = p.entry("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight");
        assertEquals(512, kB.rows()); // 8 kv heads x 64
        assertEquals(16, kB.cols());
        Entry downA = p.entry("base_model.model.model.layers.15.mlp.down_proj.lora_A.weight");
        assertEquals(16, downA.rows());
        assertEquals(8192, downA.cols());
        Entry last = p.entries().get(p.entries().size() - 1);
        assertEquals("base_model.model.model.layers.15.mlp.down_proj.lora_B.weight", last.key());
        assertEquals(p.elements(), last.offset() + last.elements());
    }

    @Test
    void oddShapesArePaddedToAlignmentWithoutOverlap() {
        // a tiny model whose sizes are not multiples of 64: every tensor still starts aligned
        ModelShape tiny = new ModelShape(24, 2, 3, 1, 8, 40, 100);
        FlatParameters p = FlatParameters.layout(tiny, 3, FlatParameters.ALL_LINEAR);
        long end = 0;
        long params = 0;
        for (Entry e : p.entries()) {
            assertEquals(0, e.offset() % FlatParameters.ALIGN_ELEMENTS, e.key());
            assertTrue(e.offset() >= end, e.key() + " overlaps the previous tensor");
            end = e.offset() + e.elements();
            params += e.elements();
        }
        assertEquals(params, p.parameters());
        assertEquals(FlatParameters.align(end), p.elements());
        assertTrue(p.elements() > p.parameters(), "padding expected for this shape");
        assertEquals(0, p.elements() % FlatParameters.ALIGN_ELEMENTS);
    }

    @Test
    void regionsAreContiguousAndByteOffsetsAligned() {
        ModelShape tiny = new ModelShape(24, 2, 3, 1, 8, 40, 100);
        FlatParameters p = FlatParameters.layout(tiny, 3, List.of("q_proj", "v_proj"));
        long n = p.elements();
        assertEquals(0, p.regionOffset(Region.MASTER));
        assertEquals(4 * n, p.regionOffset(Region.GRAD));
        assertEquals(8 * n, p.regionOffset(Region.ADAM_M));
        assertEquals(12 * n, p.regionOffset(Region.ADAM_V));
        assertEquals(16 * n, p.regionOffset(Region.BF16));
        assertEquals(18 * n, p.totalBytes());
        for (Entry e : p.entries()) {
            assertEquals(0, p.byteOffset(Region.ADAM_V, e.key()) % 256, e.key());
            assertEquals(0, p.byteOffset(Region.BF16, e.key()) % 128, e.key());
        }
    }

    @Test
    void badInputsAreNamed() {
        ModelShape s = ModelShape.LLAMA_3_2_1B;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FlatParameters.layout(s, 0, List.of("q_proj")))
                .getMessage().contains("rank"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FlatParameters.layout(s, 8, List.of("qkv")))
                .getMessage().contains("'qkv'"));
        FlatParameters p = FlatParameters.layout(s, 8, List.of("q_proj"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> p.entry("nope")).getMessage().contains("'nope'"));
    }
}
