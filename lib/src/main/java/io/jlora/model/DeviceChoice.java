package io.jlora.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;

/**
 * Parses the {@code --device auto|cpu|gpu[:N]} and {@code --dtype auto|float32|float16} options.
 * auto means a GPU when DJL's engine sees one. The default type is float32 on CPU (float16 runs
 * there, but slowly) and float16 on GPU (bfloat16 would be the usual choice, but DJL's PyTorch
 * engine aborts on it).
 */
public final class DeviceChoice {

    private DeviceChoice() {}

    public static Device parse(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase();
        if (s.equals("auto")) {
            return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.equals("cuda")) {
            return gpu(0, spec);
        }
        if (s.startsWith("gpu:") || s.startsWith("cuda:")) {
            try {
                return gpu(Integer.parseInt(s.substring(s.indexOf(':') + 1)), spec);
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new JloraException("--device: '" + spec + "' is not one of auto, cpu, gpu, gpu:N");
    }

    private static Device gpu(int id, String spec) {
        int count = Engine.getInstance().getGpuCount();
        if (count == 0) {
            throw new JloraException("--device " + spec + ": DJL's PyTorch engine sees no GPU: it needs libtorch's CUDA"
                    + " natives (DJL fetches them into ~/.djl.ai/pytorch when online; they are not on Maven Central);"
                    + " train --device gpu runs on jlora's own CUDA step without them");
        }
        if (id < 0 || id >= count) {
            throw new JloraException("--device " + spec + ": " + count + " GPU(s) visible to the engine");
        }
        return Device.gpu(id);
    }

    /** The floating type for {@code dtype} on {@code device}. */
    public static DataType dtype(String dtype, Device device) {
        String s = dtype == null ? "auto" : dtype.trim().toLowerCase();
        switch (s) {
            case "auto": return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
            case "float32": case "fp32": return DataType.FLOAT32;
            case "float16": case "fp16": return DataType.FLOAT16;
            default: throw new JloraException("--dtype: '" + dtype + "' is not one of auto, float32, float16");
        }
    }
}
