package io.jlora.quant;

import io.jlora.model.CausalLm;
import java.nio.file.Path;

/**
 * Loading and saving models whose frozen projections are quantized: what {@code load
 * --quantization} and {@code save} call.
 */
public final class QuantizedModels {

    private QuantizedModels() {}

    /**
     * Loads {@code dir} with its decoder-layer projections stored as {@code quantization} says
     * (none, int4, int8, nf4, fp4, float16), quantizing each weight as it is read. A folder saved
     * quantized (config.json has a bitsandbytes {@code quantization_config}) loads as saved,
     * whatever {@code quantization} says.
     *
     * @param device auto, cpu, gpu or gpu:N
     * @param dtype auto, float32 or float16: the compute type and that of the unquantized parts
     */
    public static CausalLm load(Path dir, String device, String dtype, String quantization) {
        return load(dir, device, dtype, Quantization.parse(quantization), FourBitSpec.DEFAULT_BLOCK_SIZE);
    }

    public static CausalLm load(Path dir, String device, String dtype, Quantization quantization, int blockSize) {
        boolean savedQuantized = BnbCheckpoint.isQuantized(dir);
        if (!savedQuantized && quantization == Quantization.NONE) {
            return CausalLm.load(dir, device, dtype);
        }
        LeanAllocator.apply(); // before the load: memory is the point from here on
        CausalLm lm = savedQuantized ? CausalLm.load(dir, device, dtype, new BnbLinearFactory(dir))
                : CausalLm.load(dir, device, dtype, new QuantizingLinearFactory(quantization, blockSize));
        LeanAllocator.releaseFreeMemory(); // the float copies quantizing made, not to sit beside the step's peak
        return lm;
    }

    /**
     * True when {@code dir} was saved quantized (config.json declares bitsandbytes quantization):
     * its float weights are gone, so nothing can be merged into them.
     */
    public static boolean savedQuantized(Path dir) {
        return BnbCheckpoint.isQuantized(dir);
    }

    /**
     * Saves {@code lm} to {@code dir} as a Hugging Face folder that transformers + bitsandbytes
     * can load: quantized projections under bitsandbytes' state-dict keys, config.json with a
     * {@code quantization_config}, tokenizer files copied.
     */
    public static void save(CausalLm lm, Path dir) {
        BnbCheckpoint.save(lm, dir);
    }
}
