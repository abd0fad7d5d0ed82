package io.jlora.magics.compare;

import io.jlora.JloraException;
import io.jlora.quant.Quantization;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One configuration of a comparison: LoRA of rank {@code r} on a base that is dense or quantized, or
 * full fine-tuning. Written {@code rN} (LoRA rank N), {@code rN+4bit} (the same on an NF4 base:
 * QLoRA), {@code rN+nf4|fp4|int4|int8}, {@code lora} (the --lora-r rank), or {@code full}.
 *
 * @param quantization the base's scheme (nf4, int8, ...), or null for a dense base
 */
public record RunSpec(String label, boolean peft, int r, String quantization) {

    /** The example and the seed's advice in one line: three ranks, QLoRA and full fine-tuning. */
    public static final String DEFAULT = "r8,r16,r64,r16+4bit,full";

    /** Parses a comma list of configurations; {@code defaultR} is the rank of a bare {@code lora}. */
    public static List<RunSpec> parseList(String list, int defaultR) {
        List<RunSpec> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String word : list.split(",")) {
            if (word.isBlank()) continue;
            RunSpec spec = parse(word.trim(), defaultR);
            if (!seen.add(spec.label())) throw new JloraException("--configs lists " + spec.label() + " twice");
            out.add(spec);
        }
        if (out.isEmpty()) throw new JloraException("--configs is empty; e.g. " + DEFAULT);
        return out;
    }

    static RunSpec parse(String word, int defaultR) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.equals("full")) return new RunSpec("full", false, 0, null);
        String[] parts = w.split("\\+", 2);
        int r;
        if (parts[0].equals("lora")) {
            r = defaultR;
        } else if (parts[0].matches("r[0-9]+")) {
            r = Integer.parseInt(parts[0].substring(1));
        } else {
            throw new JloraException("--configs: '" + word + "' is not full, lora, rN or rN+QUANT (e.g. r16+4bit)");
        }
        if (r <= 0) throw new JloraException("--configs: '" + word + "': the rank must be positive");
        if (parts.length == 1) return new RunSpec("LoRA r" + r, true, r, null);
        String q = parts[1].equals("4bit") ? "nf4" : parts[1];
        try {
            if (Quantization.parse(q) == Quantization.NONE) throw new IllegalArgumentException("not a quantization");
        } catch (RuntimeException e) {
            throw new JloraException("--configs: '" + word + "': " + parts[1] + " is not 4bit, nf4, fp4, int4 or int8");
        }
        return new RunSpec("LoRA r" + r + " + " + q, true, r, q);
    }
}
