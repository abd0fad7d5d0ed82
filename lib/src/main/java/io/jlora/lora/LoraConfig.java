package io.jlora.lora;

import static io.jlora.InvalidFieldException.require;

import io.jlora.InvalidFieldException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a user asks of one LoRA adapter, after PEFT's {@code LoraConfig}: rank, alpha, dropout, which
 * layers, per-layer rank/alpha overrides, rsLoRA and DoRA, and how to initialise. Immutable; build
 * with {@link #builder()}. The defaults are the {@link Builder}'s field values, the one place they
 * are written (the commands take theirs from {@link #defaults()}): jlora's chosen r 16, lora_alpha
 * 32, lora_dropout 0.05, all-linear, default init (PEFT's own are r 8, alpha 8, dropout 0.0, which
 * {@link AdapterConfigJson} applies to keys an adapter_config.json leaves out). A bad value throws
 * {@link InvalidFieldException} naming the field.
 *
 * <p>{@link #rank(String)}, {@link #alpha(String)} and {@link #scale(String)} give the values for
 * one module path, applying {@code rank_pattern}/{@code alpha_pattern} as PEFT does
 * ({@link PatternKeys}).
 *
 * @param layersToTransform layer indices to adapt, or null for all (PEFT: applies to the list form of target_modules)
 * @param layersPattern the name(s) of the layer list in module paths ("layers"), or null to take the first numbered segment
 * @param rankPattern rank overrides: key (a name or regex matched against the end of the module path) to rank
 * @param alphaPattern alpha overrides, keyed as rank_pattern
 * @param pissaIterations N of PEFT's {@code pissa_niter_N}; 0 for an exact decomposition
 * @param baseModelNameOrPath the base model's folder or Hub id as adapter_config.json records it, or null
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, TargetModules targetModules,
        List<Integer> layersToTransform, List<String> layersPattern, Map<String, Integer> rankPattern,
        Map<String, Double> alphaPattern, boolean useRslora, boolean useDora, LoraInit init, int pissaIterations,
        String baseModelNameOrPath) {

    /** The seed of an adapter's random initial weights when the caller gives none. */
    public static final long DEFAULT_SEED = 42;

    private static final LoraConfig DEFAULTS = new Builder().build();

    /** Checks every value; throws {@link InvalidFieldException} naming the first bad field. */
    public LoraConfig {
        require(r >= 1, "r", "must be >= 1, got " + r);
        require(loraDropout >= 0 && loraDropout < 1, "loraDropout", "must be in [0, 1), got " + loraDropout);
        require(Double.isFinite(loraAlpha), "loraAlpha", "must be a finite number, got " + loraAlpha);
        require(targetModules != null, "targetModules", "is required");
        require(init != null, "init", "is required");
        rankPattern.forEach((k, v) -> require(v != null && v >= 1, "rankPattern", "['" + k + "'] must be >= 1, got " + v));
        require(layersToTransform == null || layersToTransform.stream().allMatch(i -> i != null && i >= 0),
                "layersToTransform", "must hold non-negative layer indices: " + layersToTransform);
        layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
        layersPattern = layersPattern == null ? null : List.copyOf(layersPattern);
        rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** jlora's defaults (see the class comment). */
    public static LoraConfig defaults() {
        return DEFAULTS;
    }

    public Builder toBuilder() {
        Builder b = builder().r(r).loraAlpha(loraAlpha).loraDropout(loraDropout).targetModules(targetModules)
                .layersToTransform(layersToTransform).layersPattern(layersPattern).rankPattern(rankPattern)
                .alphaPattern(alphaPattern).useRslora(useRslora).useDora(useDora).init(init)
                .baseModelNameOrPath(baseModelNameOrPath);
        b.pissaIterations = pissaIterations; // init(LoraInit) resets it
        return b;
    }

    /** The rank of {@code modulePath}: rank_pattern's match, else r. */
    public int rank(String modulePath) {
        String key = PatternKeys.find(rankPattern.keySet(), modulePath);
        return key == null ? r : rankPattern.get(key);
    }

    /** The alpha of {@code modulePath}: alpha_pattern's match, else lora_alpha. */
    public double alpha(String modulePath) {
        String key = PatternKeys.find(alphaPattern.keySet(), modulePath);
        return key == null ? loraAlpha : alphaPattern.get(key);
    }

    /** alpha / r, or alpha / sqrt(r) with rsLoRA, for {@code modulePath}. */
    public double scale(String modulePath) {
        int rank = rank(modulePath);
        double alpha = alpha(modulePath);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    @Override
    public String toString() {
        return "LoraConfig(r=" + r + ", lora_alpha=" + loraAlpha + ", lora_dropout=" + loraDropout
                + ", target_modules=" + targetModules + (layersToTransform != null ? ", layers_to_transform="
                + layersToTransform : "") + (rankPattern.isEmpty() ? "" : ", rank_pattern=" + rankPattern)
                + (alphaPattern.isEmpty() ? "" : ", alpha_pattern=" + alphaPattern)
                + (useRslora ? ", use_rslora" : "") + (useDora ? ", use_dora" : "") + ", init="
                + init.jsonValue(pissaIterations) + ")";
    }

    /** Mutable builder; its field initialisers are the defaults; every setter returns this. */
    public static final class Builder {
        private int r = 16;
        private double loraAlpha = 32;
        private double loraDropout = 0.05;
        private TargetModules targetModules = TargetModules.allLinear();
        private List<Integer> layersToTransform;
        private List<String> layersPattern;
        private Map<String, Integer> rankPattern = new LinkedHashMap<>();
        private Map<String, Double> alphaPattern = new LinkedHashMap<>();
        private boolean useRslora;
        private boolean useDora;
        private LoraInit init = LoraInit.DEFAULT;
        private int pissaIterations;
        private String baseModelNameOrPath;

        private Builder() {}

        public Builder r(int r) {
            this.r = r;
            return this;
        }

        public Builder loraAlpha(double alpha) {
            this.loraAlpha = alpha;
            return this;
        }

        public Builder loraDropout(double p) {
            this.loraDropout = p;
            return this;
        }

        public Builder targetModules(TargetModules t) {
            this.targetModules = t;
            return this;
        }

        /** The command-line form, see {@link TargetModules#parse}. */
        public Builder targetModules(String t) {
            this.targetModules = TargetModules.parse(t);
            return this;
        }

        public Builder layersToTransform(List<Integer> layers) {
            this.layersToTransform = layers;
            return this;
        }

        public Builder layersPattern(List<String> pattern) {
            this.layersPattern = pattern;
            return this;
        }

        /** Rank overrides: key (a name or regex matched against the end of the module path) to rank. */
        public Builder rankPattern(Map<String, Integer> pattern) {
            this.rankPattern = new LinkedHashMap<>(pattern);
            return this;
        }

        /** Alpha overrides, keyed as rank_pattern. */
        public Builder alphaPattern(Map<String, Double> pattern) {
            this.alphaPattern = new LinkedHashMap<>(pattern);
            return this;
        }

        public Builder useRslora(boolean on) {
            this.useRslora = on;
            return this;
        }

        public Builder useDora(boolean on) {
            this.useDora = on;
            return this;
        }

        public Builder init(LoraInit init) {
            this.init = init;
            this.pissaIterations = 0;
            return this;
        }

        /** The command-line / adapter_config.json form: default, gaussian, pissa, pissa_niter_N, random. */
        public Builder init(String init) {
            this.init = LoraInit.parse(init);
            this.pissaIterations = LoraInit.pissaIterations(init);
            return this;
        }

        public Builder baseModelNameOrPath(String base) {
            this.baseModelNameOrPath = base;
            return this;
        }

        /** The config; throws {@link InvalidFieldException} naming the first bad field. */
        public LoraConfig build() {
            return new LoraConfig(r, loraAlpha, loraDropout, targetModules, layersToTransform, layersPattern,
                    rankPattern, alphaPattern, useRslora, useDora, init, pissaIterations, baseModelNameOrPath);
        }
    }
}
