package io.jlora.model.autograd;

import io.jlora.model.CausalLmLoss;
import io.jlora.model.ChunkedLinear;
import io.jlora.model.Linear;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The causal-LM loss of a frozen head (the scaled sum of {@link CausalLmLoss#tokenLosses}) and its
 * gradient with respect to the head's input, computed one block of the vocabulary at a time, so
 * that neither the [tokens, vocab] logits nor the widened head are ever whole: at a 128k vocabulary
 * and 512 tokens the float32 logits alone are 250 MB, their log-softmax and gradient as much again.
 *
 * <p>The head is read one block of vocabulary rows at a time (widened there when stored in half
 * precision, so that no widened copy of the whole head exists), in one pass over the vocabulary
 * with no autograd, each block's logits made once (an online softmax, as flash attention computes
 * it): a running maximum per token, the sum of exponentials below it, the target's logit, and the
 * product of those exponentials with the block's rows of W, rescaled whenever the maximum grows. The gradient
 * {@code (softmax - onehot(target)) * weight W} follows at the end, the weight of a token being
 * {@code scale} when it is counted and 0 when its label is {@link CausalLmLoss#IGNORE_INDEX}. The
 * caller pushes that gradient back through the rest of the model (backward with it as the output
 * gradient).
 *
 * <p>Blocks of vocabulary rather than of tokens: each GEMM then reads a block of W once, with all
 * tokens as its long side. Blocks of tokens (each reading the whole head, 1 GB at Llama 3's
 * vocabulary, for a few dozen tokens) were memory-bound and spent a sixth of the step in MKL's
 * packing of W; the head took twice as long (bench/train/README.md).
 */
public final class VocabChunkedLoss {

    /** The loss (already scaled) and the gradient of the head's input [batch, time, hidden]. */
    public record Result(float loss, NDArray hiddenGradient) {}

    private VocabChunkedLoss() {}

    /**
     * @param hidden the head's input [batch, time, hidden] (after the final norm), float32
     * @param weight the head [vocab, hidden] in any floating type; it gets no gradient
     * @param labels [batch, time] int64, unshifted (position t predicts the label at t+1)
     * @param scale the factor of the summed token losses (1 / counted tokens for a mean)
     * @return the result, its gradient owned by {@code hidden}'s manager
     */
    public static Result sumAndGradient(NDArray hidden, NDArray weight, NDArray labels, double scale) {
        return sumAndGradient(hidden, weight, labels, scale, ChunkedLinear.BLOCK_BYTES);
    }

    /** As above with a chosen block size (tests use small blocks to make partial ones). */
    public static Result sumAndGradient(NDArray hidden, NDArray weight, NDArray labels, double scale, long blockBytes) {
        Shape shape = hidden.getShape();
        long batch = shape.get(0);
        long time = shape.get(1);
        long width = shape.get(2);
        long vocab = weight.getShape().get(0);
        long n = batch * (time - 1);
        NDManager owner = hidden.getManager();
        if (n == 0) {
            return new Result(0f, owner.zeros(shape, hidden.getDataType()));
        }
        try (NDManager scope = owner.newSubManager()) {
            NDArray rows = owned(scope, owned(scope, hidden.get(new NDIndex(":, :{}", time - 1))).reshape(n, width));
            NDArray target = owned(scope, owned(scope, labels.get(":, 1:")).reshape(n));
            NDArray counted = owned(scope, owned(scope, target.neq(CausalLmLoss.IGNORE_INDEX)).toType(DataType.FLOAT32, false));
            NDArray safeTarget = owned(scope, target.maximum(0));
            return byVocabularyBlocks(rows, weight, safeTarget, counted, scale, blockBytes, shape, owner, scope);
        }
    }

    /**
     * One pass over blocks of vocabulary rows, as an online softmax (flash attention's): per token
     * a running max m, the sum of exp(logit - m), the target's logit, and acc = sum over blocks of
     * exp(logits - m) W, rescaled by exp(m_old - m_new) whenever m grows.
     */
    private static Result byVocabularyBlocks(NDArray rows, NDArray weight, NDArray safeTarget, NDArray counted,
            double scale, long blockBytes, Shape shape, NDManager owner, NDManager scope) {
        long n = rows.getShape().get(0);
        long width = rows.getShape().get(1);
        long vocab = weight.getShape().get(0);
        long batch = shape.get(0);
        long time = shape.get(1);
        // a block's logits [n, rows] and its widened weight [rows, hidden] both within blockBytes
        long step = ChunkedLinear.rowsPerBlock(Math.max(width, n), blockBytes);
        NDArray max = scope.full(new Shape(n), Float.NEGATIVE_INFINITY);
        NDArray sumExp = scope.zeros(new Shape(n));
        NDArray picked = scope.zeros(new Shape(n));
        NDArray acc = scope.zeros(new Shape(n, width), DataType.FLOAT32);
        for (long from = 0; from < vocab; from += step) {
            long to = Math.min(vocab, from + step);
            try (NDManager block = scope.newSubManager()) {
                NDArray w = ChunkedLinear.rows(weight, from, to, DataType.FLOAT32, block);
                NDArray logits = owned(block, ai.djl.nn.core.Linear.linear(rows, w, null).singletonOrThrow());
                NDArray newMax = owned(block, max.maximum(owned(block, logits.max(new int[] {1}))));
                NDArray rescale = owned(block, owned(block, max.sub(newMax)).exp());
                NDArray e = owned(block, owned(block, logits.sub(owned(block, newMax.expandDims(1)))).exp());
                sumExp.muli(rescale).addi(owned(block, e.sum(new int[] {1})));
                acc.muli(owned(block, rescale.expandDims(1))).addi(owned(block, e.matMul(w)));
                max.set(new NDIndex(":"), newMax);
                NDArray inBlock = safeTarget.gte(from).logicalAnd(safeTarget.lt(to)).toType(DataType.FLOAT32, false);
                NDArray local = safeTarget.sub(from).clip(0, to - from - 1).expandDims(1);
                attachAll(block, inBlock, local);
                NDArray got = logits.gather(local, 1).squeeze(1).mul(inBlock);
                picked.set(new NDIndex(":"), owned(block, picked.add(got)));
            }
        }
        NDArray logSumExp = owned(scope, max.add(owned(scope, sumExp.log())));
        NDArray tokenLosses = owned(scope, owned(scope, logSumExp.sub(picked)).mul(counted));
        float loss = owned(scope, tokenLosses.sum()).getFloat() * (float) scale;

        // the input gradient: (softmax - onehot(target)) W per token, times its weight
        // (scale when counted, 0 when ignored) = weight * (acc / sumExp - W[target])
        NDArray tokenWeight = owned(scope, owned(scope, counted.mul((float) scale)).expandDims(1));
        NDArray targetRows = owned(scope, owned(scope, weight.get(new NDIndex("{}", safeTarget)))
                .toType(DataType.FLOAT32, false));
        NDArray grad = owned(scope, owned(scope, owned(scope, acc.div(owned(scope, sumExp.expandDims(1))))
                .sub(targetRows)).mul(tokenWeight));
        NDArray full = grad.reshape(batch, time - 1, width).concat(scope.zeros(new Shape(batch, 1, width)), 1);
        NDArray typed = full.toType(rows.getDataType(), false);
        typed.attach(owner);
        return new Result(loss, typed);
    }

    private static NDArray owned(NDManager m, NDArray a) {
        a.attach(m);
        return a;
    }

    private static void attachAll(NDManager m, NDArray... arrays) {
        for (NDArray a : arrays) {
            a.attach(m);
        }
    }
}
