package io.jlora.quant;

import io.jlora.model.ModelConfig;

/**
 * The sizes that decide a decoder's memory: enough to estimate any model from its config numbers
 * alone, without a supported family or a checkpoint.
 *
 * @param headDim 0 for hidden / heads
 * @param fusedProjections q/k/v in one projection and gate/up in another (Phi-3): the same weights,
 *     but fewer, wider LoRA targets
 * @param normsPerLayer hidden-wide RMSNorms per layer (2; Gemma's sandwich has 4)
 */
public record ModelShape(int hidden, int intermediate, int layers, int vocab, int heads, int kvHeads, int headDim,
        boolean tiedEmbeddings, boolean fusedProjections, int normsPerLayer) {

    /** A Llama-shaped decoder: separate projections, two norms a layer. */
    public ModelShape(int hidden, int intermediate, int layers, int vocab, int heads, int kvHeads, int headDim,
            boolean tiedEmbeddings) {
        this(hidden, intermediate, layers, vocab, heads, kvHeads, headDim, tiedEmbeddings, false, 2);
    }

    public static ModelShape of(ModelConfig c) {
        return new ModelShape(c.hiddenSize(), c.intermediateSize(), c.layers(), c.vocabSize(), c.heads(), c.kvHeads(),
                c.headDim(), c.tieWordEmbeddings(), c.options().fusedProjections(), c.options().norms().perLayer());
    }

    int resolvedHeadDim() {
        return headDim > 0 ? headDim : hidden / heads;
    }

    long qOut() {
        return (long) heads * resolvedHeadDim();
    }

    long kvOut() {
        return (long) kvHeads * resolvedHeadDim();
    }

    /** Weights of one layer's seven projections (q, k, v, o, gate, up, down); biases are negligible. */
    long projectionParametersPerLayer() {
        return hidden * qOut() + 2 * hidden * kvOut() + qOut() * hidden + 3L * hidden * intermediate;
    }

    /** Weights of the largest projection (an MLP one, or q/o when the MLP is narrow; the fused ones when fused). */
    long largestProjectionParameters() {
        if (fusedProjections) {
            return Math.max(2L * hidden * intermediate, hidden * (qOut() + 2 * kvOut()));
        }
        return Math.max((long) hidden * intermediate, hidden * qOut());
    }

    long projectionParameters() {
        return layers * projectionParametersPerLayer();
    }

    /** Everything: projections, embedding (and head unless tied), norms. */
    long parameters() {
        long embeddings = (long) vocab * hidden * (tiedEmbeddings ? 1 : 2);
        long norms = ((long) normsPerLayer * layers + 1) * hidden;
        return projectionParameters() + embeddings + norms;
    }

    /** LoRA parameters of rank r on every projection: r * (in + out) each (a fused projection is one). */
    long loraParameters(int r) {
        long perLayer = fusedProjections
                ? (hidden + qOut() + 2 * kvOut()) + (qOut() + hidden) + (hidden + 2L * intermediate) + (intermediate + hidden)
                : (hidden + qOut()) + 2 * (hidden + kvOut()) + (qOut() + hidden) + 3L * (hidden + intermediate);
        return (long) r * perLayer * layers;
    }
}
