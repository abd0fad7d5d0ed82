package io.jlora.quant;

import io.jlora.EnumLabels;
import io.jlora.JloraException;
import java.util.Locale;

/**
 * How the frozen decoder-layer projections are stored: the {@code --quantization} option.
 * {@code int4} is the QLoRA recipe (NF4 with double quantization); {@code nf4} and {@code fp4}
 * are bitsandbytes' plain 4-bit types; {@code int8} is row-wise absmax int8; {@code float16} keeps
 * float16 weights computed in float32; {@code none} keeps the model's own type.
 */
public enum Quantization {
    NONE, INT4, INT8, NF4, FP4, FLOAT16;

    /** The option's value: the name in lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the option value; null or blank means none. */
    public static Quantization parse(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        return EnumLabels.findIgnoringCase(Quantization.class, Quantization::label, value.trim())
                .orElseThrow(() -> new JloraException("--quantization: '" + value + "' is not one of "
                        + EnumLabels.list(Quantization.class, Quantization::label)));
    }

    public boolean isFourBit() {
        return this == INT4 || this == NF4 || this == FP4;
    }

    /** The 4-bit spec of this mode with {@code blockSize}; throws for modes that are not 4-bit. */
    public FourBitSpec fourBitSpec(int blockSize) {
        switch (this) {
            case INT4: return new FourBitSpec(FourBitType.NF4, blockSize, true);
            case NF4: return new FourBitSpec(FourBitType.NF4, blockSize, false);
            case FP4: return new FourBitSpec(FourBitType.FP4, blockSize, false);
            default: throw new IllegalStateException(label() + " is not a 4-bit quantization");
        }
    }
}
