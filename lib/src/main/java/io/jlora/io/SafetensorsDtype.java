package io.jlora.io;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element types that the safetensors format names, with how each one reaches DJL.
 *
 * <p>Some types cannot be handed to DJL's PyTorch engine as they are: bfloat16 aborts the JVM on
 * most operations, and int16/uint16/uint32 abort it on creation (measured with DJL 0.34 and
 * libtorch 2.7.1). Those are widened in Java to a type the engine handles ({@link #loadedAs()}).
 */
public enum SafetensorsDtype {
    F64(8, DataType.FLOAT64),
    F32(4, DataType.FLOAT32),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.FLOAT32),
    I64(8, DataType.INT64),
    I32(4, DataType.INT32),
    I16(2, DataType.INT32),
    I8(1, DataType.INT8),
    U8(1, DataType.UINT8),
    U16(2, DataType.INT32),
    U32(4, DataType.INT64),
    BOOL(1, DataType.BOOLEAN),
    /** Known to the format but not loadable here: no lossless widening into what DJL handles. */
    U64(8, null),
    F8_E4M3(1, null),
    F8_E5M2(1, null);

    private final int bytes;
    private final DataType loadedAs;

    SafetensorsDtype(int bytes, DataType loadedAs) {
        this.bytes = bytes;
        this.loadedAs = loadedAs;
    }

    /** Bytes per element in the file. */
    public int bytes() {
        return bytes;
    }

    /** The DJL type of the array that loading produces, or null when this type cannot be loaded. */
    public DataType loadedAs() {
        return loadedAs;
    }

    /** True when the file's bytes can go to DJL unchanged (no widening in Java). */
    public boolean isNative() {
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
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** The names a header may use, for error messages. */
    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
