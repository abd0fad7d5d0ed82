package io.jlora.quant;

import io.jlora.io.SafetensorsDtype;
import io.jlora.model.Family;
import io.jlora.model.RandomModels;
import io.jlora.model.RopeConfig;
import java.nio.file.Path;

/**
 * Whole-process memory of a QLoRA / LoRA training step (run by bench/qmem/run.sh, one case per
 * JVM, so that each peak RSS is the case's own):
 * <ul>
 *   <li>{@code write-1b DIR} / {@code write-7b DIR}: random bfloat16 checkpoints of the
 *       Llama-3.2-1B and Llama-2-7B shapes, written as Hugging Face writes them;
 *   <li>{@code case LABEL DIR QUANTIZATION SEQ STEPS GOAL_GIB}: see {@link QmemCase}.
 * </ul>
 */
public final class QmemBench {

    private QmemBench() {}

    /** Llama-3.2-1B: tied embeddings, 128256 tokens, GQA 32/8, rope 500000 with llama3 scaling. */
    static RandomModels.Spec llama32OneB() {
        return RandomModels.Spec.of(Family.LLAMA, 2048, 16, 32, 8, 8192, 128256, 11).withTied(true)
                .withDtype(SafetensorsDtype.BF16)
                .withRope(new RopeConfig(500000.0, RopeConfig.Type.LLAMA3, 32.0, 1.0, 4.0, 8192));
    }

    /** Llama-2-7B: untied head, 32000 tokens, 32 heads without GQA, plain rope 10000; 5 GB shards. */
    static RandomModels.Spec llama2SevenB() {
        return RandomModels.Spec.of(Family.LLAMA, 4096, 32, 32, 32, 11008, 32000, 12).withTied(false)
                .withDtype(SafetensorsDtype.BF16).withShardBytes(5_000_000_000L);
    }

    public static void main(String[] args) {
        switch (args[0]) {
            case "write-1b": RandomModels.write(Path.of(args[1]), llama32OneB()); break;
            case "write-7b": RandomModels.write(Path.of(args[1]), llama2SevenB()); break;
            case "case": QmemCase.run(args[1], Path.of(args[2]), args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    Double.parseDouble(args[6])); break;
            default: throw new IllegalArgumentException("write-1b DIR | write-7b DIR | case LABEL DIR QUANTIZATION SEQ STEPS GOAL_GIB");
        }
    }
}
