package io.jlora.model;

import java.util.HashMap;
import java.util.Map;

/**
 * The decoder written out in plain Java loops over doubles, following transformers' modeling code
 * line by line (repeat_kv expands the KV heads; rotate_half pairs i with i + d/2), as an
 * independent check of the tensor implementation. Slow; for tiny models only.
 */
final class NaiveDecoder {

    private final ModelConfig c;
    private final Map<String, float[]> w = new HashMap<>();

    NaiveDecoder(Decoder decoder) {
        this.c = decoder.config();
        decoder.parameters().forEach((name, array) -> w.put(name, array.toFloatArray()));
        if (c.tieWordEmbeddings()) {
            w.put("lm_head.weight", w.get("model.embed_tokens.weight"));
        }
    }

    /** Logits [time][vocab] of one sequence. */
    double[][] logits(long[] ids) {
        int t = ids.length;
        int hidden = c.hiddenSize();
        int d = c.headDim();
        double[][] x = new double[t][hidden];
        float[] embed = w.get("model.embed_tokens.weight");
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < hidden; j++) {
                x[i][j] = embed[(int) ids[i] * hidden + j];
            }
        }
        float[] invFreq = c.rope().inverseFrequencies(d);
        for (int layer = 0; layer < c.layers(); layer++) {
            String p = "model.layers." + layer + ".";
            double[][] h = rmsNorm(x, w.get(p + "input_layernorm.weight"));
            double[][] q = linear(h, p + "self_attn.q_proj");
            double[][] k = linear(h, p + "self_attn.k_proj");
            double[][] v = linear(h, p + "self_attn.v_proj");
            if (c.qkNorm()) {
                q = perHeadNorm(q, c.heads(), w.get(p + "self_attn.q_norm.weight"));
                k = perHeadNorm(k, c.kvHeads(), w.get(p + "self_attn.k_norm.weight"));
            }
            rope(q, c.heads(), invFreq);
            rope(k, c.kvHeads(), invFreq);
            double[][] attn = new double[t][c.heads() * d];
            int group = c.heads() / c.kvHeads();
            for (int head = 0; head < c.heads(); head++) {
                int kvHead = head / group; // repeat_kv
                for (int i = 0; i < t; i++) {
                    double[] scores = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        boolean visible = j <= i && (c.slidingWindow() == null || j > i - c.slidingWindow());
                        double s = Double.NEGATIVE_INFINITY;
                        if (visible) {
                            s = 0;
                            for (int e = 0; e < d; e++) {
                                s += q[i][head * d + e] * k[j][kvHead * d + e];
                            }
                            s /= Math.sqrt(d);
                        }
                        scores[j] = s;
                        max = Math.max(max, s);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j < t; j++) {
                        for (int e = 0; e < d; e++) {
                            attn[i][head * d + e] += scores[j] / sum * v[j][kvHead * d + e];
                        }
                    }
                }
            }
            add(x, linear(attn, p + "self_attn.o_proj"));
            double[][] h2 = rmsNorm(x, w.get(p + "post_attention_layernorm.weight"));
            double[][] gate = linear(h2, p + "mlp.gate_proj");
            double[][] up = linear(h2, p + "mlp.up_proj");
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < gate[i].length; j++) {
                    double g = gate[i][j];
                    gate[i][j] = g / (1 + Math.exp(-g)) * up[i][j];
                }
            }
            add(x, linear(gate, p + "mlp.down_proj"));
        }
        return linear(rmsNorm(x, w.get("model.norm.weight")), "lm_head");
    }

    private double[][] linear(double[][] x, String path) {
        float[] weight = w.get(path + ".weight");
        float[] bias = w.get(path + ".bias");
        int in = x[0].length;
        int out = weight.length / in;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int e = 0; e < in; e++) {
                    s += x[i][e] * weight[o * in + e];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private double[][] rmsNorm(double[][] x, float[] weight) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = normRow(x[i], 0, x[i].length, weight);
        }
        return y;
    }

    private double[] normRow(double[] row, int from, int len, float[] weight) {
        double ms = 0;
        for (int e = 0; e < len; e++) {
            ms += row[from + e] * row[from + e];
        }
        double scale = 1 / Math.sqrt(ms / len + c.rmsNormEps());
        double[] out = new double[len];
        for (int e = 0; e < len; e++) {
            out[e] = row[from + e] * scale * weight[e];
        }
        return out;
    }

    private double[][] perHeadNorm(double[][] x, int heads, float[] weight) {
        int d = c.headDim();
        double[][] y = new double[x.length][heads * d];
        for (int i = 0; i < x.length; i++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(normRow(x[i], h * d, d, weight), 0, y[i], h * d, d);
            }
        }
        return y;
    }

    private void rope(double[][] x, int heads, float[] invFreq) {
        int d = c.headDim();
        int half = d / 2;
        for (int pos = 0; pos < x.length; pos++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < half; i++) {
                    double angle = pos * (double) invFreq[i];
                    double x1 = x[pos][h * d + i];
                    double x2 = x[pos][h * d + i + half];
                    x[pos][h * d + i] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
                    x[pos][h * d + i + half] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
                }
            }
        }
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }

    static float[] flatten(double[][] a) {
        float[] out = new float[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                out[i * a[i].length + j] = (float) a[i][j];
            }
        }
        return out;
    }
}
