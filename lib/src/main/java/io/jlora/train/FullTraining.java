package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;
import io.jlora.lora.LoraLinear;
import io.jlora.model.CausalLm;
import io.jlora.model.Decoder;
import io.jlora.model.DenseLinear;
import io.jlora.model.Linear;
import java.util.Map;

/**
 * Full fine-tuning of a loaded model as a {@link TrainableModel} (the seed product's
 * {@code peft=False}): every base weight trains, the embedding, norms and head included, with
 * AdamW state for each. There is no adapter to disable, so the DPO reference is not a mode of the
 * model: DPO precomputes the reference log-probs of every pair from the initial weights when the
 * trainer is made (see {@link DpoTask}), as TRL's {@code precompute_ref_log_probs} does, instead of
 * keeping a frozen second copy of the model.
 *
 * <p>The weights must be dense float32: quantized layers have no trainable weight, and in float16
 * most AdamW updates (lr x ~1) are below half a unit in the last place of the weight and vanish.
 */
public final class FullTraining extends CausalLmTraining {

    private FullTraining(CausalLm lm) {
        super(lm);
    }

    /** Every weight of {@code lm}; refuses adapted, quantized or half-precision models, saying why. */
    public static FullTraining of(CausalLm lm) {
        Decoder decoder = lm.decoder();
        for (Map.Entry<String, Linear> e : decoder.linears().entrySet()) {
            Linear l = e.getValue();
            if (l instanceof LoraLinear) {
                throw new JloraException("full fine-tuning trains the base weights, but " + e.getKey()
                        + " has a LoRA adapter attached: unload the adapters first (or train with --peft true)");
            }
            if (!(l instanceof DenseLinear)) {
                throw new JloraException("full fine-tuning needs dense weights, but " + e.getKey() + " is "
                        + l.getClass().getSimpleName() + " (a quantized base): load the model without --quantization");
            }
        }
        if (decoder.dtype() != DataType.FLOAT32) {
            throw new JloraException("full fine-tuning needs float32 weights (AdamW's small updates vanish in "
                    + decoder.dtype() + "); this model is loaded as " + decoder.dtype() + ": load it with --dtype float32");
        }
        return new FullTraining(lm);
    }

    /** Every base parameter by transformers' name (no lm_head.weight when it is the embedding's). */
    @Override
    public Map<String, NDArray> parameters() {
        return decoder().parameters();
    }

    /** Parameter count: every weight of the model. */
    public long parameterCount() {
        long n = 0;
        for (NDArray a : parameters().values()) {
            n += a.size();
        }
        return n;
    }
}
