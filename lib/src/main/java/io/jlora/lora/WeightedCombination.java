package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.jlora.JloraException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * PEFT's add_weighted_adapter for the {@code linear} and {@code cat} combinations, on one module at a
 * time. With weights w_i and scales s_i:
 * <ul>
 *   <li>linear (every adapter of the same rank): A = sum sign_i sqrt|w_i s_i| A_i and
 *       B = sum sqrt|w_i s_i| B_i; note that B A then holds cross terms B_j A_i, as in PEFT;
 *   <li>cat: A = [w_1 s_1 A_1; w_2 s_2 A_2; ...] and B = [B_1, B_2, ...], so B A is exactly
 *       sum w_i s_i B_i A_i, at the sum of the ranks.
 * </ul>
 * The result has scale 1 (lora_alpha = r, no rsLoRA) and targets the union of the modules.
 */
final class WeightedCombination {

    private final String type;
    private final List<LoraAdapter> sources;
    private final List<Double> weights;

    private WeightedCombination(String type, List<LoraAdapter> sources, List<Double> weights) {
        this.type = type;
        this.sources = sources;
        this.weights = weights;
    }

    static WeightedCombination of(String type, List<LoraAdapter> sources, List<Double> weights) {
        if (sources.isEmpty()) {
            throw new JloraException("combine: name at least one adapter");
        }
        if (weights.size() != sources.size()) {
            throw new JloraException("combine: " + sources.size() + " adapters but " + weights.size() + " weights");
        }
        String t = type == null ? "linear" : type.trim().toLowerCase();
        if (!t.equals("linear") && !t.equals("cat")) {
            throw new JloraException("combine: combination_type '" + type + "' is not supported; use linear or cat");
        }
        for (LoraAdapter a : sources) {
            if (a.config().useDora()) {
                throw new JloraException("combine: adapter '" + a.name() + "' uses DoRA, whose magnitudes do not combine");
            }
        }
        if (sources.size() == 1) {
            t = "linear"; // as PEFT: one adapter is only ever scaled
        }
        if (t.equals("linear")) {
            Set<Integer> ranks = new LinkedHashSet<>();
            sources.forEach(a -> ranks.add(a.config().r()));
            if (ranks.size() > 1) {
                throw new JloraException("combine: linear needs adapters of the same rank, got r = " + ranks
                        + "; use cat for different ranks");
            }
        }
        return new WeightedCombination(t, List.copyOf(sources), List.copyOf(weights));
    }

    /** Modules of any source, in the order first seen. */
    List<String> modules() {
        Set<String> all = new LinkedHashSet<>();
        sources.forEach(a -> all.addAll(a.modules()));
        return new ArrayList<>(all);
    }

    /**
     * [A, B] of every module, computed in {@code m}.
     *
     * @param branchesAt the source branches on a module, by adapter name
     */
    Map<String, NDArray[]> combine(Function<String, Map<String, LoraBranch>> branchesAt, NDManager m) {
        Map<String, NDArray[]> out = new LinkedHashMap<>();
        for (String module : modules()) {
            Map<String, LoraBranch> present = branchesAt.apply(module);
            List<NDArray> as = new ArrayList<>();
            List<NDArray> bs = new ArrayList<>();
            Set<Integer> ranks = new LinkedHashSet<>();
            for (int i = 0; i < sources.size(); i++) {
                LoraBranch branch = present.get(sources.get(i).name());
                if (branch == null) {
                    continue;
                }
                ranks.add(branch.rank());
                double ws = weights.get(i) * branch.scale();
                NDArray a = ManagedArrays.detached(m, branch.a());
                NDArray b = ManagedArrays.detached(m, branch.b());
                if (type.equals("cat")) {
                    as.add(a.mul((float) ws));
                    bs.add(b);
                } else {
                    double root = Math.sqrt(Math.abs(ws));
                    // the sign on one side only, or it would cancel in B A
                    as.add(a.mul((float) (Math.signum(ws) >= 0 ? root : -root)));
                    bs.add(b.mul((float) root));
                }
            }
            if (type.equals("linear") && ranks.size() > 1) {
                throw new JloraException("combine: linear needs equal ranks, but " + module + " has ranks " + ranks);
            }
            out.put(module, type.equals("cat")
                    ? new NDArray[] {NDArrays.concat(new NDList(as), 0), NDArrays.concat(new NDList(bs), 1)}
                    : new NDArray[] {sum(as), sum(bs)});
        }
        return out;
    }

    private static NDArray sum(List<NDArray> arrays) {
        NDArray total = arrays.get(0);
        for (int i = 1; i < arrays.size(); i++) {
            total = total.add(arrays.get(i));
        }
        return total;
    }

    /** The combined adapter's config: scale 1 everywhere, rank per module where it differs from r. */
    LoraConfig config(Map<String, NDArray[]> combined) {
        LoraConfig first = sources.get(0).config();
        int r = type.equals("cat") ? sources.stream().mapToInt(a -> a.config().r()).sum() : first.r();
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        combined.forEach((module, ab) -> {
            int rank = Math.toIntExact(ab[0].getShape().get(0));
            if (rank != r) {
                // a regex that only this path matches, written the way Python reads it too
                String key = module.replace(".", "\\.");
                rankPattern.put(key, rank);
                alphaPattern.put(key, (double) rank);
            }
        });
        return LoraConfig.builder()
                .r(r)
                .loraAlpha(r)
                .loraDropout(first.loraDropout())
                .targetModules(TargetModules.names(new ArrayList<>(combined.keySet())))
                .rankPattern(rankPattern)
                .alphaPattern(alphaPattern)
                .baseModelNameOrPath(first.baseModelNameOrPath())
                .build();
    }
}
