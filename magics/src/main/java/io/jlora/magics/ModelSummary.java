package io.jlora.magics;

import io.jlora.model.CausalLm;
import io.jlora.model.ModelConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** A loaded model as a notebook shows it: family, size, shape, device; the result of {@code load}. */
public record ModelSummary(CausalLm model, double seconds, String quantization) implements CommandResult {
    public ModelSummary(CausalLm model, double seconds) {
        this(model, seconds, "none");
    }

    private String storage() {
        return "none".equals(quantization) ? model.decoder().dtype().toString() : quantization + " base, " + model.decoder().dtype() + " compute";
    }

    @Override
    public String toString() {
        return text();
    }

    @Override
    public String text() {
        ModelConfig c = model.config();
        return String.format("loaded %s (%s, %.1fM parameters, %d layers, hidden %d, vocab %d) on %s as %s in %.2f s",
                model.dir(), c.family().name().toLowerCase(), c.parameterCount() / 1e6, c.layers(), c.hiddenSize(),
                c.vocabSize(), model.decoder().device(), storage(), seconds);
    }

    @Override
    public String html() {
        ModelConfig c = model.config();
        return Html.table("model " + model.dir().getFileName(), new String[][] {
                {"folder", model.dir().toString()},
                {"family", c.family().name().toLowerCase()},
                {"parameters", String.format("%,d", c.parameterCount())},
                {"layers", c.layers() + " (hidden " + c.hiddenSize() + ", heads " + c.heads() + ", kv heads " + c.kvHeads() + ")"},
                {"vocabulary", String.valueOf(c.vocabSize())},
                {"device, storage", model.decoder().device() + ", " + storage()},
                {"tokenizer", model.tokenizer() != null ? "tokenizer.json" : "none"},
                {"loaded in", String.format("%.2f s", seconds)}});
    }

    @Override
    public Map<String, Object> json() {
        ModelConfig c = model.config();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model.dir().toString());
        j.put("family", c.family().name().toLowerCase());
        j.put("parameters", c.parameterCount());
        j.put("layers", c.layers());
        j.put("hidden_size", c.hiddenSize());
        j.put("vocab_size", c.vocabSize());
        j.put("device", model.decoder().device().toString());
        j.put("dtype", model.decoder().dtype().toString().toLowerCase());
        j.put("quantization", quantization);
        j.put("seconds", seconds);
        return j;
    }
}
