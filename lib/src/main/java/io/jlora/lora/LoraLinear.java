package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import io.jlora.JloraException;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A linear layer with LoRA adapters, PEFT's {@code lora.Linear}: wraps the base {@link Linear} and
 * holds one {@link LoraBranch} per adapter name. The forward is the base output plus the update of
 * each active adapter; with adapters disabled, or with the active ones merged into W, it is the base
 * output alone. Merging changes the base weight in place, so it needs a {@link DenseLinear} base.
 */
public final class LoraLinear implements Linear {

    /** What to do instead of merging into a quantized base. */
    static final String MERGE_FILES = "; merge the files instead (MergeTool)";

    private final Linear base;
    private final AdapterSwitch state;
    private final Map<String, LoraBranch> branches = new LinkedHashMap<>();
    private final List<String> merged = new ArrayList<>();

    LoraLinear(Linear base, AdapterSwitch state) {
        if (base instanceof LoraLinear) {
            throw new IllegalArgumentException(base.path() + " already has LoRA adapters");
        }
        this.base = base;
        this.state = state;
    }

    /** The wrapped layer, which unloading puts back. */
    public Linear base() {
        return base;
    }

    @Override
    public String path() {
        return base.path();
    }

    @Override
    public Linear frozenBase() {
        return base.frozenBase();
    }

    /** The base weight (with any merged adapters in it). */
    @Override
    public NDArray weight() {
        return base.weight();
    }

    @Override
    public NDArray bias() {
        return base.bias();
    }

    // the base's own sizes: Linear's defaults read weight(), which a quantized base makes anew
    // (a float copy of the whole matrix, alive as long as the model) at each call
    @Override
    public long inFeatures() {
        return base.inFeatures();
    }

    @Override
    public long outFeatures() {
        return base.outFeatures();
    }

    @Override
    public boolean readsBaseOutput() {
        if (!state.enabled() || !merged.isEmpty()) {
            return base.readsBaseOutput();
        }
        return base.readsBaseOutput() || state.active().stream().map(branches::get)
                .anyMatch(branch -> branch != null && branch.readsBaseOutput());
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray result = base.forward(x);
        if (!state.enabled() || !merged.isEmpty()) {
            return result;
        }
        for (String name : state.active()) {
            LoraBranch branch = branches.get(name);
            if (branch != null) {
                result = branch.forward(x, result, base, state.training());
            }
        }
        return result;
    }

    /** The branch of adapter {@code name}, or null when that adapter does not target this layer. */
    public LoraBranch branch(String name) {
        return branches.get(name);
    }

    public Map<String, LoraBranch> branches() {
        return Collections.unmodifiableMap(branches);
    }

    void put(String name, LoraBranch branch) {
        if (branch.a().getShape().get(1) != inFeatures() || branch.b().getShape().get(0) != outFeatures()) {
            throw new JloraException(path() + ": adapter '" + name + "' has lora_A " + branch.a().getShape()
                    + " and lora_B " + branch.b().getShape() + ", but the layer maps " + inFeatures() + " -> "
                    + outFeatures());
        }
        branches.put(name, branch);
    }

    LoraBranch remove(String name) {
        if (merged.contains(name)) {
            throw new IllegalStateException(path() + ": unmerge '" + name + "' before removing it");
        }
        return branches.remove(name);
    }

    /** Names merged into the base weight, in merge order. */
    List<String> mergedNames() {
        return Collections.unmodifiableList(merged);
    }

    /** Merges adapter {@code name} into the base weight (no-op when this layer lacks it). */
    void merge(String name) {
        LoraBranch branch = branches.get(name);
        if (branch == null || merged.contains(name)) {
            return;
        }
        branch.mergeInto(denseWeight());
        merged.add(name);
    }

    /** Marks {@code name} as no longer merged without touching W: its update stays in W for good. */
    void forgetMerged(String name) {
        merged.remove(name);
    }

    /** Unmerges every merged adapter, last merged first (so DoRA's cached norms stay valid). */
    void unmergeAll() {
        for (int i = merged.size() - 1; i >= 0; i--) {
            branches.get(merged.get(i)).unmergeFrom(denseWeight());
        }
        merged.clear();
    }

    private NDArray denseWeight() {
        return AdaptedLayers.denseWeight(base, path(), "merging", MERGE_FILES);
    }

    @Override
    public String toString() {
        return path() + " LoRA" + branches.keySet() + " over " + base;
    }
}
