package io.jlora.model;

import io.jlora.model.generate.GenerationConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.jlora.JloraException;
import io.jlora.io.SafetensorsCheckpoint;
import io.jlora.testing.TestFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Properties of transformers' semantics checked on random models of every family. */
class DecoderInvariantsTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> shapes() {
        // family, heads, kvHeads (GQA ratio 1, 2, 4), headDim (0: hidden/heads), tied, attention bias, window
        return Stream.of(
                Arguments.of(Family.LLAMA, 4, 4, 0, false, false, null),
                Arguments.of(Family.LLAMA, 4, 2, 0, true, true, null),
                Arguments.of(Family.MISTRAL, 8, 2, 0, false, false, 3),
                Arguments.of(Family.QWEN2, 4, 2, 0, true, false, null),
                Arguments.of(Family.QWEN2, 4, 1, 0, false, false, null),
                Arguments.of(Family.QWEN3, 4, 1, 16, true, false, null),
                Arguments.of(Family.QWEN3, 2, 2, 0, false, true, null));
    }

    private Path model(Family f, int heads, int kvHeads, int headDim, boolean tied, boolean bias, Integer window) {
        RandomModels.Spec spec = RandomModels.Spec.of(f, 32, 2, heads, kvHeads, 48, 64, 11)
                .withHeadDim(headDim).withTied(tied).withAttentionBias(bias).withSlidingWindow(window).withStd(0.15);
        return RandomModels.write(tmp.resolve(f + "-" + heads + "-" + kvHeads), spec);
    }

    /** The tensor decoder equals the loop-by-loop transcription of transformers' code. */
    @ParameterizedTest
    @MethodSource("shapes")
    void equalsNaiveExpandedHeadsComputation(Family f, int heads, int kvHeads, int headDim, boolean tied,
            boolean bias, Integer window) {
        long[] ids = {5, 17, 3, 63, 0, 42, 8, 8, 21};
        try (CausalLm lm = CausalLm.load(model(f, heads, kvHeads, headDim, tied, bias, window), "cpu", "auto");
                NDManager m = lm.manager().newSubManager()) {
            float[] ours = lm.decoder().forward(m.create(ids).reshape(1, ids.length)).toFloatArray();
            float[] naive = NaiveDecoder.flatten(new NaiveDecoder(lm.decoder()).logits(ids));
            double diff = TestFiles.maxAbsDiff(ours, naive);
            assertTrue(diff < 1e-4, f + " heads " + heads + "/" + kvHeads + ": max diff " + diff);
            assertTrue(maxAbs(naive) > 0.1, "the check is not vacuous");
        }
    }

    @Test
    void tiedHeadIsTheEmbedding() {
        try (CausalLm lm = CausalLm.load(model(Family.QWEN2, 4, 2, 0, true, false, null), "cpu", "auto");
                SafetensorsCheckpoint cp = SafetensorsCheckpoint.open(lm.dir());
                NDManager m = lm.manager().newSubManager()) {
            assertFalse(cp.contains("lm_head.weight"), "tied checkpoints carry no head");
            NDArray embed = lm.decoder().parameters().get("model.embed_tokens.weight");
            assertSame(embed, lm.decoder().linear("lm_head").weight());
            assertFalse(lm.decoder().parameters().containsKey("lm_head.weight"));
            // logits = final hidden state . embedding^T: replacing the head by an explicit copy changes nothing
            NDArray ids = m.create(new long[] {1, 2, 3}).reshape(1, 3);
            NDArray before = lm.decoder().forward(ids);
            lm.decoder().replaceLinear("lm_head", h -> new DenseLinear("lm_head", embed.duplicate(), null));
            assertTrue(before.contentEquals(lm.decoder().forward(ids)));
        }
    }

    @Test
    void qwen2BiasesArePresentAndUsed() {
        try (CausalLm lm = CausalLm.load(model(Family.QWEN2, 4, 2, 0, false, false, null), "cpu", "auto");
                NDManager m = lm.manager().newSubManager()) {
            String p = "model.layers.0.self_attn.";
            for (String proj : List.of("q_proj", "k_proj", "v_proj")) {
                assertNotNull(lm.decoder().linear(p + proj).bias(), proj);
            }
            assertNull(lm.decoder().linear(p + "o_proj").bias());
            assertNull(lm.decoder().linear("model.layers.0.mlp.up_proj").bias());
            NDArray ids = m.create(new long[] {1, 2, 3}).reshape(1, 3);
            NDArray before = lm.decoder().forward(ids);
            lm.decoder().replaceLinear(p + "v_proj", l -> new DenseLinear(l.path(), l.weight(), null));
            assertTrue(TestFiles.maxAbsDiff(before, lm.decoder().forward(ids)) > 1e-3, "dropping a bias changes logits");
        }
    }

    @Test
    void qwen3NormalisesEachHeadOfQAndK() {
        try (CausalLm lm = CausalLm.load(model(Family.QWEN3, 4, 2, 16, false, false, null), "cpu", "auto")) {
            assertEquals(16, lm.decoder().parameters().get("model.layers.1.self_attn.q_norm.weight").size());
            assertEquals(16, lm.decoder().parameters().get("model.layers.1.self_attn.k_norm.weight").size());
            assertEquals(64, lm.decoder().linear("model.layers.1.self_attn.q_proj").outFeatures(), "4 heads x 16");
        }
    }

    /** Logits at position t do not depend on tokens after t. */
    @ParameterizedTest
    @MethodSource("shapes")
    void causal(Family f, int heads, int kvHeads, int headDim, boolean tied, boolean bias, Integer window) {
        try (CausalLm lm = CausalLm.load(model(f, heads, kvHeads, headDim, tied, bias, window), "cpu", "auto");
                NDManager m = lm.manager().newSubManager()) {
            NDArray a = lm.decoder().forward(m.create(new long[] {4, 9, 2, 7, 7, 1}).reshape(1, 6));
            NDArray b = lm.decoder().forward(m.create(new long[] {4, 9, 2, 50, 3, 33}).reshape(1, 6));
            assertTrue(a.get(":, :3, :").contentEquals(b.get(":, :3, :")), "positions before the change are equal");
            assertTrue(TestFiles.maxAbsDiff(a.get(":, 3:, :"), b.get(":, 3:, :")) > 1e-3, "later ones differ");
        }
    }

    /** Feeding tokens one at a time through the cache gives the full forward's logits. */
    @ParameterizedTest
    @MethodSource("shapes")
    void kvCacheEqualsFullForward(Family f, int heads, int kvHeads, int headDim, boolean tied, boolean bias,
            Integer window) {
        long[] ids = {3, 1, 4, 1, 5, 9, 2, 6};
        try (CausalLm lm = CausalLm.load(model(f, heads, kvHeads, headDim, tied, bias, window), "cpu", "auto");
                NDManager m = lm.manager().newSubManager();
                KvCache cache = new KvCache(m, lm.config().layers())) {
            NDArray full = lm.decoder().forward(m.create(ids).reshape(1, ids.length));
            NDList steps = new NDList();
            steps.add(lm.decoder().forward(m.create(new long[] {3, 1, 4}).reshape(1, 3), cache, false));
            for (int i = 3; i < ids.length; i++) {
                steps.add(lm.decoder().forward(m.create(new long[] {ids[i]}).reshape(1, 1), cache, false));
            }
            assertEquals(ids.length, cache.length());
            double diff = TestFiles.maxAbsDiff(full, NDArrays.concat(steps, 1));
            assertTrue(diff < 1e-5, "cached vs full: " + diff);
        }
    }

    /** Generation with the cache equals recomputing the whole prefix each step, greedy and sampled. */
    @ParameterizedTest
    @MethodSource("shapes")
    void cachedGenerationEqualsRecomputation(Family f, int heads, int kvHeads, int headDim, boolean tied,
            boolean bias, Integer window) {
        try (CausalLm lm = CausalLm.load(model(f, heads, kvHeads, headDim, tied, bias, window), "cpu", "auto")) {
            long[] prompt = {10, 20, 30};
            for (GenerationConfig g : List.of(GenerationConfig.greedy(12).withStopAtEos(false),
                    GenerationConfig.sampling(12, 1.0, 0, 1.0, 99L).withStopAtEos(false))) {
                long[] cached = lm.generate(prompt, g).ids();
                long[] recomputed = lm.generate(prompt, g.withCache(false)).ids();
                assertArrayEquals(recomputed, cached, g.toString());
                assertEquals(12, cached.length);
            }
        }
    }

    @Test
    void replaceLinearChecksPathAndShape() {
        try (CausalLm lm = CausalLm.load(model(Family.LLAMA, 4, 2, 0, false, false, null), "cpu", "auto")) {
            Decoder d = lm.decoder();
            assertEquals(2 * 7 + 1, d.linears().size(), "7 projections per layer plus lm_head");
            assertEquals("model.layers.0.self_attn.q_proj", d.linears().keySet().iterator().next());
            assertThrows(JloraException.class, () -> d.linear("model.layers.9.self_attn.q_proj"));
            String p = "model.layers.0.mlp.up_proj";
            NDArray w = d.linear(p).weight();
            assertThrows(JloraException.class, () -> d.replaceLinear(p, l -> new DenseLinear("other", w, null)));
            assertThrows(JloraException.class,
                    () -> d.replaceLinear(p, l -> new DenseLinear(p, w.get(":10, :"), null)));
            assertSame(w, d.linear(p).weight(), "a refused replacement leaves the layer alone");
        }
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
