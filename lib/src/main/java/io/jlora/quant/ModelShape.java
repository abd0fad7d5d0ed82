package io.jlora.quant;

import io.jlora.model.ModelConfig;

/**
 * The sizes that decide a decoder's memory: enough to estimate any model from its config numbers
 * alone, without a supported family or a checkpoint.
 *
 * @param headDim 0 for hidden / heads
 */
public record ModelShape(int hidden, int intermediate, int layers, int vocab, int heads, int kvHeads, int headDim,
        boolean tiedEmbeddings) {

    public static ModelShape of(ModelConfig c) {
        return new ModelShape(c.hiddenSize(), c.intermediateSize(), c.layers(), c.vocabSize(), c.heads(), c.kvHeads(),
                c.headDim(), c.tieWordEmbeddings());
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

    /** Weights of the largest projection (an MLP one, or q/o when the MLP is narrow). */
    long largestProjectionParameters() {
        return Math.max((long) hidden * intermediate, hidden * qOut());
    }

    long projectionParameters() {
        return layers * projectionParametersPerLayer();
    }

    /** Everything: projections, embedding (and head unless tied), norms. */
    long parameters() {
        long embeddings = (long) vocab * hidden * (tiedEmbeddings ? 1 : 2);
        long norms = (2L * layers + 1) * hidden;
        return projectionParameters() + embeddings + norms;
    }

    /** LoRA parameters of rank r on every projection: r * (in + out) each. */
    long loraParameters(int r) {
        long perLayer = (hidden + qOut()) + 2 * (hidden + kvOut()) + (qOut() + hidden) + 3L * (hidden + intermediate);
        return (long) r * perLayer * layers;
    }
}
