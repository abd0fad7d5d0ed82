package io.jlora.quant;

import io.jlora.model.autograd.ProjectionCuts;
import io.jlora.model.autograd.QuantizedOutputs;
import io.jlora.model.autograd.VocabChunkedLoss;
import io.jlora.model.ChunkedLinear;
import io.jlora.model.ModelConfigReader;
import io.jlora.train.TrainerConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * This project's estimate of training memory for full fine-tuning, LoRA and LoRA on a 4-bit base
 * (QLoRA), in GB of 2^30 bytes, for the {@code memory} command.
 *
 * <p>What is counted, float32 throughout unless said:
 * <ul>
 *   <li>full: weights, gradients and AdamW's two moments, 16 bytes a parameter;
 *   <li>LoRA: the frozen base in float16 (2 bytes a parameter, {@link Float16Linear}); the
 *       adapters (rank r on every projection) at 16 bytes a parameter; one block of a widened
 *       weight (32 MiB at most: training cuts those projections out of the graph, so no layer's
 *       float weights are kept for backward, {@link io.jlora.model.autograd.ProjectionCuts});
 *   <li>LoRA+4-bit: the projections in the QLoRA recipe ({@link FourBitSpec#qlora()}, 4.127 bits
 *       a weight), embedding and head in float16, adapters as above, and the model's dequantization
 *       buffer (16 MiB of rows at a time, {@link WeightScratch}); LoRA+8-bit likewise, the
 *       projections at one byte a weight and dequantized whole (one weight at a time);
 *   <li>activations, in all three: gradient checkpointing at every decoder layer, so the
 *       checkpointed layer inputs (with a frozen base, and the outputs its on-demand projections
 *       keep for the recomputation under the default {@link QuantizedOutputs} policy), one layer's
 *       activations recomputed for its backward and their
 *       gradients, and the head: for full fine-tuning the whole logits with their log-softmax and
 *       gradient; over a frozen head (LoRA, LoRA+4-bit) one vocabulary block of logits and of the
 *       widened head at a time ({@link io.jlora.model.autograd.VocabChunkedLoss});
 *   <li>the runtime, in all: the JVM with a small heap and libtorch, {@link #RUNTIME_GB}.
 * </ul>
 * bench/qmem measures the whole process against these figures.
 */
public record MemoryEstimate(ModelShape shape, int loraR, int batchSize, int seqLen, long parameters,
        long loraParameters, double fullGb, double loraGb, double lora4bitGb, double lora8bitGb, double activationsGb) {

    public static final int DEFAULT_LORA_R = 16;
    public static final int DEFAULT_BATCH_SIZE = 1;
    public static final int DEFAULT_SEQ_LEN = 512;

    private static final double GB = 1L << 30;

    /**
     * What the process holds before any weight: the JVM (a 256 MiB heap, code, threads) and
     * libtorch's code and thread pools. bench/qmem measured 0.2-0.3 GiB.
     */
    public static final double RUNTIME_GB = 0.3;

    /** What a frozen base's on-demand projections keep for the recomputation: the trainer's default. */
    private static final QuantizedOutputs DEFAULT_KEPT_OUTPUTS = TrainerConfig.defaults().keepQuantizedOutputs();

    /** Largest block of logits or widened head that the frozen-head loss holds: 32 MiB of float32. */
    private static final double HEAD_BLOCK_VALUES = (32L << 20) / 4.0;

    /** The estimate for a config.json (or the folder holding one) with the defaults: r 16, batch 1, 512 tokens. */
    public static MemoryEstimate of(Path config) {
        return of(config, DEFAULT_LORA_R, DEFAULT_BATCH_SIZE, DEFAULT_SEQ_LEN);
    }

    /** The estimate for a config.json or the folder holding one. */
    public static MemoryEstimate of(Path config, int loraR, int batchSize, int seqLen) {
        return of(ModelShape.of(ModelConfigReader.read(config)), loraR, batchSize, seqLen);
    }

    public static MemoryEstimate of(ModelShape s, int loraR, int batchSize, int seqLen) {
        if (loraR < 1 || batchSize < 1 || seqLen < 1) {
            throw new io.jlora.JloraException("lora r, batch size and sequence length must be positive, not "
                    + loraR + ", " + batchSize + ", " + seqLen);
        }
        long p = s.parameters();
        long projections = s.projectionParameters();
        long lora = s.loraParameters(loraR);
        double activations = activationBytes(s, loraR, batchSize, seqLen, true);
        double runtime = RUNTIME_GB * GB;
        double adapters = 16.0 * lora;
        double largestWeight = 4.0 * s.largestProjectionParameters();
        double widenedBlock = Math.min(largestWeight, ChunkedLinear.BLOCK_BYTES);
        double full = 16.0 * p + activationBytes(s, loraR, batchSize, seqLen, false) + runtime;
        double loraBytes = 2.0 * p + adapters + widenedBlock + activations + runtime;
        double trainingExtras = 2.0 * (p - projections) + adapters + activations + runtime;
        double fourBit = projections * FourBitSpec.qlora().bitsPerWeight() / 8 + trainingExtras
                + Math.min(largestWeight, WeightScratch.DEFAULT_BLOCK_BYTES);
        double eightBit = projections * 1.0 + trainingExtras + largestWeight;
        return new MemoryEstimate(s, loraR, batchSize, seqLen, p, lora, full / GB, loraBytes / GB, fourBit / GB,
                eightBit / GB, activations / GB);
    }

    /** Values a layer keeps per token for the recomputation under the default policy (AUTO resolved for these tokens). */
    static long keptPerToken(ModelShape s, long tokens) {
        QuantizedOutputs which = DEFAULT_KEPT_OUTPUTS.resolve(s.layers(), tokens, s.qOut(), s.kvOut(), s.hidden(),
                s.intermediate());
        return which.valuesPerToken(s.qOut(), s.kvOut(), s.hidden(), s.intermediate());
    }

    private static double activationBytes(ModelShape s, int r, int batch, int seq, boolean frozenHead) {
        double tokens = (double) batch * seq;
        double checkpoints = s.layers() * tokens * (s.hidden() + (frozenHead ? keptPerToken(s, (long) tokens) : 0));
        // one layer: norm outputs and residuals (~6 hidden), q and attention output, k and v, the
        // four MLP intermediates (gate, up, silu, product), the adapters' rank-r intermediates
        double layer = tokens * (6.0 * s.hidden() + 2 * s.qOut() + 2 * s.kvOut() + 4.0 * s.intermediate() + 7.0 * r)
                + 2.0 * batch * s.heads() * (double) seq * seq; // scores and probabilities
        double logits = frozenHead ? 3.0 * Math.min(tokens * s.vocab(), HEAD_BLOCK_VALUES) : 3.0 * tokens * s.vocab();
        return 4.0 * (checkpoints + 2 * layer + logits);
    }

    /** What {@code memory --json} prints: full_gb, lora_gb, lora_4bit_gb, then the inputs and counts. */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("full_gb", round(fullGb));
        out.put("lora_gb", round(loraGb));
        out.put("lora_4bit_gb", round(lora4bitGb));
        out.put("lora_8bit_gb", round(lora8bitGb));
        out.put("activations_gb", round(activationsGb));
        out.put("parameters", parameters);
        out.put("lora_parameters", loraParameters);
        out.put("lora_r", loraR);
        out.put("batch_size", batchSize);
        out.put("seq_len", seqLen);
        return out;
    }

    private static double round(double gb) {
        return Math.round(gb * 100) / 100.0;
    }
}
