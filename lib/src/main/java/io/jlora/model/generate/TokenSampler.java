package io.jlora.model.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one position's logits, in Java (a vocabulary-sized float array is
 * small, and this keeps the randomness ours and seedable). Filters run in transformers' order:
 * temperature, top-k, top-p.
 */
final class TokenSampler {

    private final GenerationConfig config;
    private final SplittableRandom random;

    TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = config.seed() != null ? new SplittableRandom(config.seed()) : new SplittableRandom();
    }

    int next(float[] logits) {
        if (config.isGreedy()) {
            return argMax(logits);
        }
        double[] scaled = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scaled[i] = logits[i] / config.temperature();
        }
        if (config.topK() > 0 && config.topK() < scaled.length) {
            double[] sorted = scaled.clone();
            Arrays.sort(sorted);
            double kth = sorted[sorted.length - config.topK()];
            for (int i = 0; i < scaled.length; i++) {
                if (scaled[i] < kth) {
                    scaled[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double[] probs = softmax(scaled);
        if (config.topP() < 1.0) {
            nucleus(probs, config.topP());
        }
        return draw(probs);
    }

    /** First index of the largest value, as torch.argmax. */
    static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double[] p = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.exp(x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * Zeroes all but the most likely tokens whose cumulative probability first reaches topP
     * (transformers drops tokens whose ascending cumulative mass is at most 1 - topP, and always
     * keeps the top one).
     */
    private static void nucleus(double[] probs, double topP) {
        Integer[] order = new Integer[probs.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]));
        double cumulative = 0;
        boolean cut = false;
        for (Integer idx : order) {
            if (cut) {
                probs[idx] = 0;
            } else {
                cumulative += probs[idx];
                cut = cumulative >= topP;
            }
        }
    }

    private int draw(double[] probs) {
        double total = 0;
        for (double p : probs) {
            total += p;
        }
        double u = random.nextDouble() * total;
        double acc = 0;
        int last = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                acc += probs[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last;
    }
}
