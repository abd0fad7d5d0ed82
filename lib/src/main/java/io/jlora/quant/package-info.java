/**
 * Quantized frozen bases, bit-compatible with bitsandbytes.
 *
 * <p>Quantization: {@link io.jlora.quant.FourBitQuantizer} (NF4/FP4 blockwise, {@link
 * io.jlora.quant.FourBitSpec}), {@link io.jlora.quant.NestedAbsmax} (double quantization on
 * {@link io.jlora.quant.DynamicMap}), {@link io.jlora.quant.Int8Quantizer} (row-wise absmax).
 * Dequantization: {@link io.jlora.quant.FourBitDequantizer} (plain Java, the CPU path) and
 * {@link io.jlora.quant.DjlFourBitDequantizer} (DJL ops, the device path).
 *
 * <p>Layers ({@link io.jlora.model.Linear}s the decoder holds in place of dense ones): {@link
 * io.jlora.quant.QuantizedLinear} (4-bit), {@link io.jlora.quant.Int8Linear}, {@link
 * io.jlora.quant.Float16Linear}; each keeps its weight compact and widens it to float32 for the
 * length of one forward. {@link io.jlora.quant.QuantizingLinearFactory} makes them while the
 * checkpoint is read.
 *
 * <p>Entry points: {@link io.jlora.quant.QuantizedModels} (load with {@code --quantization}, save
 * in bitsandbytes' layout, load such folders) and {@link io.jlora.quant.MemoryEstimate}.
 */
package io.jlora.quant;
