package io.jlora.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.JloraException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which modules a config targets, and per-module rank/alpha, with PEFT's matching rules. */
class TargetMatcherTest {

    /** The linear layers of a 3-layer Llama, in model order. */
    private static final List<String> LINEARS = linears(3);

    private static List<String> linears(int layers) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            for (String m : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")) {
                out.add("model.layers." + i + "." + m);
            }
        }
        out.add("lm_head");
        return out;
    }

    private static List<String> resolve(LoraConfig.Builder b) {
        return TargetMatcher.resolve(b.build(), LINEARS);
    }

    @Test
    void allLinearIsEveryLinearButTheHead() {
        List<String> t = resolve(LoraConfig.builder());
        assertEquals(LINEARS.subList(0, LINEARS.size() - 1), t);
        assertEquals(TargetModules.allLinear(), LoraConfig.defaults().targetModules());
    }

    @Test
    void namesMatchAsSuffixesOfWholeSegments() {
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj", "model.layers.2.self_attn.q_proj",
                "model.layers.2.self_attn.v_proj"), resolve(LoraConfig.builder().targetModules("q_proj,v_proj")));
        // "proj" is not a whole segment of any path; "self_attn.o_proj" is a dotted suffix
        assertThrows(JloraException.class, () -> resolve(LoraConfig.builder().targetModules(TargetModules.names("proj"))));
        assertEquals(3, resolve(LoraConfig.builder().targetModules(TargetModules.names("self_attn.o_proj"))).size());
        // the head can be targeted by name
        assertEquals(List.of("lm_head"), resolve(LoraConfig.builder().targetModules("lm_head")));
    }

    @Test
    void regexMustMatchTheWholePath() {
        assertEquals(List.of("model.layers.1.mlp.up_proj", "model.layers.2.mlp.up_proj"),
                resolve(LoraConfig.builder().targetModules(".*layers\\.[12]\\.mlp\\.up_proj")));
        // a partial match is no match (re.fullmatch)
        assertThrows(JloraException.class, () -> resolve(LoraConfig.builder().targetModules(TargetModules.regex("up_proj"))));
        assertTrue(TargetModules.parse(".*q_proj") instanceof TargetModules.Regex);
        assertTrue(TargetModules.parse("q_proj") instanceof TargetModules.Names);
        assertTrue(TargetModules.parse("ALL-LINEAR") instanceof TargetModules.AllLinear);
    }

    @Test
    void layersToTransformKeepsTheListedLayers() {
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.2.self_attn.q_proj"),
                resolve(LoraConfig.builder().targetModules("q_proj").layersToTransform(List.of(0, 2))));
        assertEquals(List.of("model.layers.1.mlp.down_proj"), resolve(LoraConfig.builder().targetModules("down_proj")
                .layersToTransform(List.of(1)).layersPattern(List.of("layers"))));
        // all-linear honours it too (and never the head, which has no layer index)
        List<String> t = resolve(LoraConfig.builder().layersToTransform(List.of(1)));
        assertEquals(7, t.size());
        assertTrue(t.stream().allMatch(p -> p.startsWith("model.layers.1.")));
        // a full path matches directly, without the layer filter, as in PEFT
        assertEquals(List.of("model.layers.2.mlp.up_proj"), resolve(LoraConfig.builder()
                .targetModules(TargetModules.names("model.layers.2.mlp.up_proj")).layersToTransform(List.of(0))));
        // a layers_pattern that is not in the paths matches nothing
        assertThrows(JloraException.class, () -> resolve(LoraConfig.builder().targetModules("q_proj")
                .layersToTransform(List.of(0)).layersPattern(List.of("blocks"))));
    }

    @Test
    void rankAndAlphaPatternsFollowPeftKeyMatching() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("q_proj", 4);
        ranks.put("model.layers.1.mlp.down_proj", 2);
        ranks.put("layers\\.2\\..*_proj", 6);
        Map<String, Double> alphas = new LinkedHashMap<>();
        alphas.put("down_proj", 3.0);
        LoraConfig c = LoraConfig.builder().r(8).loraAlpha(16).rankPattern(ranks).alphaPattern(alphas).build();
        assertEquals(4, c.rank("model.layers.0.self_attn.q_proj"));
        assertEquals(4, c.rank("model.layers.2.self_attn.q_proj"), "the first matching key wins");
        assertEquals(2, c.rank("model.layers.1.mlp.down_proj"));
        assertEquals(8, c.rank("model.layers.0.mlp.down_proj"));
        assertEquals(6, c.rank("model.layers.2.mlp.up_proj"), "keys are regexes");
        assertEquals(8, c.rank("model.layers.0.self_attn.k_proj"));
        // a key must match whole segments at the end: "proj" is not "q_proj"'s suffix segment
        assertEquals(8, LoraConfig.builder().r(8).rankPattern(Map.of("proj", 1)).build().rank("model.layers.0.mlp.up_proj"));
        assertEquals(3.0 / 2, c.scale("model.layers.1.mlp.down_proj"));
        assertEquals(16.0 / 8, c.scale("model.layers.0.self_attn.k_proj"));
        LoraConfig rs = LoraConfig.builder().r(16).loraAlpha(32).useRslora(true).build();
        assertEquals(32 / 4.0, rs.scale("model.layers.0.self_attn.k_proj"), 1e-12);
    }

    @Test
    void anUnmatchedTargetListsTheLinearLayers() {
        JloraException e = assertThrows(JloraException.class,
                () -> resolve(LoraConfig.builder().targetModules("query,value")));
        String msg = e.getMessage();
        assertTrue(msg.contains("'query,value'") && msg.contains("22 linear layers"), msg);
        assertTrue(msg.contains("model.layers.{0..2}.self_attn.q_proj") && msg.contains("model.layers.{0..2}.mlp.down_proj")
                && msg.contains("lm_head"), msg);
    }

    @Test
    void defaultsArePefts() {
        LoraConfig c = LoraConfig.defaults();
        assertEquals(16, c.r());
        assertEquals(32, c.loraAlpha());
        assertEquals(0.05, c.loraDropout());
        assertEquals(LoraInit.DEFAULT, c.init());
        assertEquals(2.0, c.scale("x.q_proj"));
        assertThrows(JloraException.class, () -> LoraConfig.builder().r(0).build());
        assertThrows(JloraException.class, () -> LoraConfig.builder().loraDropout(1).build());
        assertEquals(LoraInit.PISSA, LoraConfig.builder().init("pissa_niter_4").build().init());
        assertEquals(4, LoraConfig.builder().init("pissa_niter_4").build().pissaIterations());
        assertThrows(JloraException.class, () -> LoraConfig.builder().init("olora").build());
    }
}
