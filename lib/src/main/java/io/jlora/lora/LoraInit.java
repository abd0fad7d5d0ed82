package io.jlora.lora;

import io.jlora.JloraException;

/**
 * How a new adapter's A and B start, as PEFT's {@code init_lora_weights}. All but {@link #RANDOM}
 * start with B·A = 0 or, for PiSSA, with base + scale·B·A equal to the original base weight, so a
 * freshly attached adapter never changes the model's outputs.
 */
public enum LoraInit {
    /** {@code true}: A kaiming-uniform with a = sqrt(5) (torch's nn.Linear reset), B zeros. */
    DEFAULT,
    /** {@code "gaussian"}: A normal with std 1/r, B zeros. */
    GAUSSIAN,
    /**
     * {@code "pissa"}: A and B from the top-r singular triplets of the base weight, the base weight
     * replaced by the residual W - scale·B·A. {@code "pissa_niter_N"} is the same with N subspace
     * iterations instead of an exact decomposition ({@link LoraConfig#pissaIterations()}).
     */
    PISSA,
    /** {@code false}: A and B both random as torch's nn.Linear reset (the adapter changes outputs at once). */
    RANDOM;

    /** The value adapter_config.json holds: true, false, "gaussian", "pissa" or "pissa_niter_N". */
    Object jsonValue(int pissaIterations) {
        return switch (this) {
            case DEFAULT -> Boolean.TRUE;
            case RANDOM -> Boolean.FALSE;
            case GAUSSIAN -> "gaussian";
            case PISSA -> pissaIterations > 0 ? "pissa_niter_" + pissaIterations : "pissa";
        };
    }

    /** Parses the command line's {@code --init default|gaussian|pissa|pissa_niter_N|random}. */
    public static LoraInit parse(String text) {
        String s = text.trim().toLowerCase();
        if (s.equals("default") || s.equals("true")) {
            return DEFAULT;
        }
        if (s.equals("random") || s.equals("false")) {
            return RANDOM;
        }
        if (s.equals("gaussian")) {
            return GAUSSIAN;
        }
        if (s.equals("pissa") || s.startsWith("pissa_niter_")) {
            return PISSA;
        }
        throw new JloraException("init: '" + text + "' is not one of default, gaussian, pissa, pissa_niter_N, random");
    }

    /** N of {@code pissa_niter_N}, 0 for anything else. */
    public static int pissaIterations(String text) {
        String s = text.trim().toLowerCase();
        if (!s.startsWith("pissa_niter_")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(s.substring("pissa_niter_".length()));
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new JloraException("init: '" + text + "' needs a positive number of iterations, e.g. pissa_niter_4");
    }
}
