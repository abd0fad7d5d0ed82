package io.jlora.model.autograd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The causal-LM head's loss and input gradient ({@link VocabChunkedLoss}) timed alone, at each
 * block size given (bench/train/README.md): {@code HeadLossBench TOKENS HIDDEN VOCAB ROUNDS BLOCK_MIB...}.
 */
public final class HeadLossBench {

    private HeadLossBench() {}

    public static void main(String[] args) {
        int tokens = Integer.parseInt(args[0]);
        int hidden = Integer.parseInt(args[1]);
        int vocab = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(1);
            NDArray x = m.randomNormal(new Shape(1, tokens, hidden));
            NDArray w = m.randomNormal(0, 0.02f, new Shape(vocab, hidden), DataType.FLOAT32);
            NDArray labels = m.randomInteger(0, vocab, new Shape(1, tokens), DataType.INT64);
            for (int r = 0; r < rounds; r++) {
                for (int a = 4; a < args.length; a++) {
                    long t0 = System.nanoTime();
                    VocabChunkedLoss.Result res = VocabChunkedLoss.sumAndGradient(x, w, labels, 1.0 / tokens,
                            Long.parseLong(args[a]) << 20);
                    double s = (System.nanoTime() - t0) / 1e9;
                    float g = res.hiddenGradient().abs().sum().getFloat();
                    res.hiddenGradient().close();
                    System.out.printf("block %s MiB: %.3f s, loss %.6f, |grad| %.6f%n", args[a], s, res.loss(), g);
                }
            }
        }
    }
}
