package io.jlora.lora;

import io.jlora.JloraException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a user asks of one LoRA adapter, after PEFT's {@code LoraConfig}: rank, alpha, dropout, which
 * layers, per-layer rank/alpha overrides, rsLoRA and DoRA, and how to initialise. Immutable; build
 * with {@link #builder()} (PEFT's defaults: r 16, lora_alpha 32, lora_dropout 0.05, all-linear, bias
 * none, default init).
 *
 * <p>{@link #rank(String)}, {@link #alpha(String)} and {@link #scale(String)} give the values for
 * one module path, applying {@code rank_pattern}/{@code alpha_pattern} as PEFT does
 * ({@link PatternKeys}).
 */
public final class LoraConfig {

    private final int r;
    private final double loraAlpha;
    private final double loraDropout;
    private final TargetModules targetModules;
    private final List<Integer> layersToTransform;
    private final List<String> layersPattern;
    private final Map<String, Integer> rankPattern;
    private final Map<String, Double> alphaPattern;
    private final boolean useRslora;
    private final boolean useDora;
    private final LoraInit init;
    private final int pissaIterations;
    private final String baseModelNameOrPath;

    private LoraConfig(Builder b) {
        this.r = b.r;
        this.loraAlpha = b.loraAlpha;
        this.loraDropout = b.loraDropout;
        this.targetModules = b.targetModules;
        this.layersToTransform = b.layersToTransform == null ? null : List.copyOf(b.layersToTransform);
        this.layersPattern = b.layersPattern == null ? null : List.copyOf(b.layersPattern);
        this.rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(b.rankPattern));
        this.alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(b.alphaPattern));
        this.useRslora = b.useRslora;
        this.useDora = b.useDora;
        this.init = b.init;
        this.pissaIterations = b.pissaIterations;
        this.baseModelNameOrPath = b.baseModelNameOrPath;
        validate();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** PEFT's defaults. */
    public static LoraConfig defaults() {
        return builder().build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.r = r;
        b.loraAlpha = loraAlpha;
        b.loraDropout = loraDropout;
        b.targetModules = targetModules;
        b.layersToTransform = layersToTransform;
        b.layersPattern = layersPattern;
        b.rankPattern = new LinkedHashMap<>(rankPattern);
        b.alphaPattern = new LinkedHashMap<>(alphaPattern);
        b.useRslora = useRslora;
        b.useDora = useDora;
        b.init = init;
        b.pissaIterations = pissaIterations;
        b.baseModelNameOrPath = baseModelNameOrPath;
        return b;
    }

    private void validate() {
        if (r <= 0) {
            throw new JloraException("lora_r must be a positive integer, got " + r);
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new JloraException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
        if (!Double.isFinite(loraAlpha)) {
            throw new JloraException("lora_alpha must be a finite number, got " + loraAlpha);
        }
        if (targetModules == null) {
            throw new JloraException("target_modules is required");
        }
        rankPattern.forEach((k, v) -> {
            if (v == null || v <= 0) {
                throw new JloraException("rank_pattern['" + k + "'] must be a positive integer, got " + v);
            }
        });
        if (layersToTransform != null && layersToTransform.stream().anyMatch(i -> i == null || i < 0)) {
            throw new JloraException("layers_to_transform must hold non-negative layer indices: " + layersToTransform);
        }
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

    public int r() {
        return r;
    }

    public double loraAlpha() {
        return loraAlpha;
    }

    public double loraDropout() {
        return loraDropout;
    }

    public TargetModules targetModules() {
        return targetModules;
    }

    /** Layer indices to adapt, or null for all (PEFT: applies to the list form of target_modules). */
    public List<Integer> layersToTransform() {
        return layersToTransform;
    }

    /** The name(s) of the layer list in module paths ("layers"), or null to take the first numbered segment. */
    public List<String> layersPattern() {
        return layersPattern;
    }

    public Map<String, Integer> rankPattern() {
        return rankPattern;
    }

    public Map<String, Double> alphaPattern() {
        return alphaPattern;
    }

    public boolean useRslora() {
        return useRslora;
    }

    public boolean useDora() {
        return useDora;
    }

    public LoraInit init() {
        return init;
    }

    /** N of PEFT's {@code pissa_niter_N}; 0 for an exact decomposition. */
    public int pissaIterations() {
        return pissaIterations;
    }

    /** The base model's folder or Hub id as adapter_config.json records it, or null. */
    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
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

    /** Mutable builder; every setter returns this. */
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

        public LoraConfig build() {
            return new LoraConfig(this);
        }
    }
}
