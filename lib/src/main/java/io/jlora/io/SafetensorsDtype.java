package io.jlora.io;

import ai.djl.ndarray.types.DataType;
import io.jlora.EnumLabels;

/**
 * The element types that the safetensors format names, with how each one reaches DJL.
 *
 * <p>Some types cannot be handed to DJL's PyTorch engine as they are: bfloat16 aborts the JVM on
 * most operations, and int16/uint16/uint32 abort it on creation (measured with DJL 0.34 and
 * libtorch 2.7.1). Those are widened in Java to a type the engine handles ({@link #loadedAs()}).
 */
public enum SafetensorsDtype {
    // floating point
    F64(8), F32(4), F16(2), BF16(2),
    // integers and bool
    I64(8), I32(4), I16(2), I8(1), U8(1), U16(2), U32(4), BOOL(1),
    /** Known to the format but not loadable here: no lossless widening into what DJL handles. */
    U64(8), F8_E4M3(1), F8_E5M2(1);

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element in the file. */
    public int bytes() {
        return bytes;
    }

    /**
     * The DJL type of the array that loading produces, or null when this type cannot be loaded.
     * Grouped by the DJL type: BF16, I16, U16 and U32 are widened on the way.
     */
    public DataType loadedAs() {
        return switch (this) {
            case F64 -> DataType.FLOAT64;
            case F32, BF16 -> DataType.FLOAT32;
            case F16 -> DataType.FLOAT16;
            case I64, U32 -> DataType.INT64;
            case I32, I16, U16 -> DataType.INT32;
            case I8 -> DataType.INT8;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            case U64, F8_E4M3, F8_E5M2 -> null;
        };
    }

    /** True when the file's bytes can go to DJL unchanged (no widening in Java). */
    public boolean isNative() {
        DataType loadedAs = loadedAs();
        return loadedAs != null && loadedAs.getNumOfBytes() == bytes && this != BF16;
    }

    /** The safetensors type for a DJL array type, for writing. */
    public static SafetensorsDtype of(DataType type) {
        switch (type) {
            case FLOAT64: return F64;
            case FLOAT32: return F32;
            case FLOAT16: return F16;
            case BFLOAT16: return BF16;
            case INT64: return I64;
            case INT32: return I32;
            case INT8: return I8;
            case UINT8: return U8;
            case BOOLEAN: return BOOL;
            default: throw new IllegalArgumentException("no safetensors type for " + type);
        }
    }

    /** Parses a header's dtype name; null when the name is unknown. */
    public static SafetensorsDtype parse(String name) {
        return EnumLabels.find(SafetensorsDtype.class, SafetensorsDtype::name, name).orElse(null);
    }

    /** The names a header may use, for error messages. */
    public static String names() {
        return EnumLabels.list(SafetensorsDtype.class, SafetensorsDtype::name);
    }
}
