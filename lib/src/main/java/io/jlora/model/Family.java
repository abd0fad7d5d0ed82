package io.jlora.model;

import io.jlora.EnumLabels;

/**
 * The model families the decoder runs. They differ only in options of the one decoder (which
 * projections carry a bias, whether q/k are normalised, where the norms sit: {@link FamilyOptions}),
 * never in code paths of their own.
 */
public enum Family {
    LLAMA("llama"),
    MISTRAL("mistral"),
    QWEN2("qwen2"),
    QWEN3("qwen3"),
    GEMMA2("gemma2"),
    /** Gemma 3's text model; a multimodal {@code gemma3} checkpoint's text tower reads as this too. */
    GEMMA3("gemma3_text"),
    PHI3("phi3"),
    OLMO2("olmo2"),
    SMOLLM3("smollm3");

    /** The multimodal Gemma 3 model_type, whose {@code text_config} is a {@link #GEMMA3}. */
    public static final String GEMMA3_MULTIMODAL = "gemma3";

    private final String modelType;

    Family(String modelType) {
        this.modelType = modelType;
    }

    /** The {@code model_type} of config.json. */
    public String modelType() {
        return modelType;
    }

    /** The family for a {@code model_type}, or null. */
    public static Family ofModelType(String modelType) {
        return EnumLabels.find(Family.class, Family::modelType, modelType).orElse(null);
    }

    /** "llama, mistral, qwen2, qwen3, ...", for error messages. */
    public static String supported() {
        return EnumLabels.list(Family.class, Family::modelType) + ", " + GEMMA3_MULTIMODAL + " (its text model)";
    }
}
