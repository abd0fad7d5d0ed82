package io.jlora.gpu;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every LoRA tensor and its optimizer state lives in the one device allocation the GPU step
 * uses, so that gradient clipping and AdamW are single kernels over contiguous memory (no per-tensor
 * launches). The allocation holds five regions with the same element layout:
 * <pre>
 *   MASTER  fp32  the trainable LoRA weights (the source of truth, saved as the adapter)
 *   GRAD    fp32  their gradients (zeroed each step)
 *   ADAM_M  fp32  AdamW first moment
 *   ADAM_V  fp32  AdamW second moment
 *   BF16    bf16  a copy of MASTER the forward/backward GEMMs read (refreshed after each update)
 * </pre>
 * Tensors are in PEFT's state-dict order (layer, module, lora_A then lora_B), each starting at a
 * multiple of {@link #ALIGN_ELEMENTS} elements: 256 bytes in the fp32 regions (cuBLAS and vectorised
 * loads want at least 16) and 128 in the bf16 one. lora_A is {@code [r, in]} and lora_B
 * {@code [out, r]}, row-major, exactly as PEFT stores them, so saving is a copy.
 */
public final class FlatParameters {

    /** Every tensor starts at a multiple of this many elements. */
    public static final int ALIGN_ELEMENTS = 64;

    /** The five regions, in allocation order. */
    public enum Region {
        MASTER(4), GRAD(4), ADAM_M(4), ADAM_V(4), BF16(2);

        /** Bytes per element. */
        public final int elementBytes;

        Region(int elementBytes) {
            this.elementBytes = elementBytes;
        }
    }

    /** One LoRA matrix: its PEFT key, row-major shape and element offset inside each region. */
    public record Entry(String key, int rows, int cols, long offset) {
        public long elements() {
            return (long) rows * cols;
        }
    }

    private final Map<String, Entry> entries;
    private final long elements;
    private final long parameters;

    private FlatParameters(Map<String, Entry> entries, long elements, long parameters) {
        this.entries = entries;
        this.elements = elements;
        this.parameters = parameters;
    }

    /**
     * The layout for rank {@code r} adapters on {@code modules} of every decoder layer.
     *
     * @param modules PEFT module names, e.g. all-linear's q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj
     */
    public static FlatParameters layout(ModelShape shape, int r, List<String> modules) {
        if (r <= 0) {
            throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        }
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("no target modules: the GPU step has nothing to train");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long offset = 0;
        long params = 0;
        for (int layer = 0; layer < shape.layers(); layer++) {
            for (String module : modules) {
                int[] io = shape.linear(module);
                String prefix = "base_model.model.model.layers." + layer + "." + group(module) + "." + module;
                for (Entry e : List.of(new Entry(prefix + ".lora_A.weight", r, io[0], 0),
                        new Entry(prefix + ".lora_B.weight", io[1], r, 0))) {
                    offset = align(offset);
                    out.put(e.key(), new Entry(e.key(), e.rows(), e.cols(), offset));
                    offset += e.elements();
                    params += e.elements();
                }
            }
        }
        return new FlatParameters(java.util.Collections.unmodifiableMap(out), align(offset), params);
    }

    /** The PEFT all-linear target set of a Llama-style decoder. */
    public static final List<String> ALL_LINEAR =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    private static String group(String module) {
        return switch (module) {
            case "q_proj", "k_proj", "v_proj", "o_proj" -> "self_attn";
            default -> "mlp";
        };
    }

    static long align(long n) {
        return (n + ALIGN_ELEMENTS - 1) / ALIGN_ELEMENTS * ALIGN_ELEMENTS;
    }

    /** Trainable parameters (what PEFT's print_trainable_parameters reports). */
    public long parameters() {
        return parameters;
    }

    /** Elements per region, padding included. */
    public long elements() {
        return elements;
    }

    public List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    public Entry entry(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new IllegalArgumentException("no LoRA tensor '" + key + "' in this layout");
        }
        return e;
    }

    /** Byte offset of a region from the start of the allocation. */
    public long regionOffset(Region region) {
        long off = 0;
        for (Region r : Region.values()) {
            if (r == region) {
                return off;
            }
            off += elements * r.elementBytes;
        }
        throw new AssertionError(region);
    }

    /** Byte offset of one tensor inside the allocation, in the given region. */
    public long byteOffset(Region region, String key) {
        return regionOffset(region) + entry(key).offset() * region.elementBytes;
    }

    /** Bytes of the whole allocation (all five regions). */
    public long totalBytes() {
        long total = 0;
        for (Region r : Region.values()) {
            total += elements * r.elementBytes;
        }
        return total;
    }
}
