package io.jlora.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The model families the decoder runs. They differ only in options of the one decoder (which
 * projections carry a bias, whether q/k are normalised per head), never in code paths of their own.
 */
public enum Family {
    LLAMA("llama"),
    MISTRAL("mistral"),
    QWEN2("qwen2"),
    QWEN3("qwen3");

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
        for (Family f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        return null;
    }

    /** "llama, mistral, qwen2, qwen3", for error messages. */
    public static String supported() {
        return Arrays.stream(values()).map(Family::modelType).collect(Collectors.joining(", "));
    }
}
