package io.jlora.fuzz;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Structure-aware damage to a JSON document: values swapped for hostile ones (wrong types, absurd
 * or negative sizes, numbers past int and long, huge strings, very deep nesting), keys removed or
 * added, and now and then the text itself broken. The document's own keys (and {@code extraKeys})
 * are the places hit, so the readers' checks are reached rather than the JSON parser's.
 */
final class JsonMutator {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Stands for a deeply nested value, spliced in as text (a tree that deep cannot be serialized). */
    private static final String DEEP = "__jlora_fuzz_deep__";

    private JsonMutator() {}

    /** A damaged copy of {@code seed} as file bytes. */
    static byte[] mutate(String seed, List<String> extraKeys, Random r) {
        JsonNode root = parse(seed);
        int edits = 1 + r.nextInt(3);
        for (int k = 0; k < edits; k++) {
            edit(root, extraKeys, r);
        }
        byte[] bytes = serialize(root, r);
        int roll = r.nextInt(20);
        if (roll == 0) {
            return ByteMutator.mutate(bytes, r);
        }
        if (roll == 1) {
            return ByteMutator.splice(bytes, 0, 0, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}); // a BOM
        }
        return bytes;
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("seed is not JSON", e);
        }
    }

    /** One hostile JSON value; the deep one is a placeholder that {@link #serialize} expands. */
    static JsonNode hostile(Random r, JsonNode elsewhere) {
        switch (r.nextInt(32)) {
            case 0: return F.nullNode();
            case 1: return F.booleanNode(r.nextBoolean());
            case 2: return F.numberNode(0);
            case 3: return F.numberNode(-1);
            case 4: return F.numberNode(1);
            case 5: return F.numberNode(r.nextInt(9) - 2);
            case 6: return F.numberNode(Integer.MAX_VALUE);
            case 7: return F.numberNode(1L << 31);
            case 8: return F.numberNode((1L << 32) + 16); // an int cast would read 16
            case 9: return F.numberNode(1L << 40);
            case 10: return F.numberNode(Long.MAX_VALUE);
            case 11: return F.numberNode(Long.MIN_VALUE);
            case 12: return F.numberNode(new BigInteger("123456789012345678901234567890"));
            case 13: return F.numberNode(1.5);
            case 14: return F.numberNode(1e308);
            case 15: return F.numberNode(-0.0);
            case 16: return F.textNode("");
            case 17: return F.textNode("x");
            case 18: return F.textNode(new String[] {"BF16", "F16", "F8_E4M3", "U64", "llama", "LORA", "all-linear",
                "none", "default", "llama3", "BPE", "WordPiece", "-1", "1e9", "silu", "gelu", ".*", "(", "q_proj"}[r.nextInt(19)]);
            case 19: return F.textNode("x".repeat(1 << (10 + r.nextInt(11)))); // 1 KiB to 1 MiB
            case 20: return F.textNode("\u0000\uFFFD\u202E\uFEFF\uD83D\uDE00 \n\"'\\{{ }}");
            case 21: return F.arrayNode();
            case 22: return F.objectNode();
            case 23: return F.arrayNode().add(r.nextInt(5) - 1).add(1L << 40);
            case 24: return F.arrayNode().add("a").add(F.nullNode()).add(F.objectNode());
            case 25: return F.objectNode().put("a", 1).set("b", F.arrayNode());
            case 26: return F.textNode(DEEP);
            case 27: return F.numberNode(r.nextInt(1 << 20));
            case 28: return F.numberNode(-r.nextInt(1 << 20) - 1);
            case 29: {
                ArrayNode many = F.arrayNode();
                int n = 1 << (4 + r.nextInt(10));
                for (int i = 0; i < n; i++) {
                    many.add(r.nextInt(3) == 0 ? F.numberNode(r.nextInt()) : F.textNode("t" + i));
                }
                return many;
            }
            default: return elsewhere == null ? F.nullNode() : elsewhere.deepCopy(); // another key's value: type confusion
        }
    }

    private static void edit(JsonNode root, List<String> extraKeys, Random r) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers, 0);
        JsonNode target = containers.get(r.nextInt(containers.size()));
        JsonNode donor = containers.get(r.nextInt(containers.size()));
        if (target instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            int op = r.nextInt(10);
            if (op < 2 || names.isEmpty()) {
                List<String> pool = extraKeys.isEmpty() ? List.of("x") : extraKeys;
                o.set(pool.get(r.nextInt(pool.size())), hostile(r, donor));
            } else if (op < 4) {
                o.remove(names.get(r.nextInt(names.size())));
            } else {
                o.set(names.get(r.nextInt(names.size())), hostile(r, donor));
            }
        } else if (target instanceof ArrayNode a) {
            int op = r.nextInt(10);
            if (op < 2 || a.isEmpty()) {
                a.insert(a.isEmpty() ? 0 : r.nextInt(a.size() + 1), hostile(r, donor));
            } else if (op < 4) {
                a.remove(r.nextInt(a.size()));
            } else if (op < 5) {
                a.add(a.get(r.nextInt(a.size())).deepCopy()); // a duplicate
            } else {
                a.set(r.nextInt(a.size()), hostile(r, donor));
            }
        }
    }

    /** Objects and arrays, each listed as often as it has children, so busy places are hit more. */
    private static void collect(JsonNode n, List<JsonNode> out, int depth) {
        if (!n.isContainerNode() || depth > 50) {
            return;
        }
        out.add(n);
        for (JsonNode child : n) {
            collect(child, out, depth + 1);
        }
    }

    static byte[] serialize(JsonNode root, Random r) {
        String text = root.toString();
        String quoted = "\"" + DEEP + "\"";
        while (text.contains(quoted)) {
            int depth = 500 + r.nextInt(20_000);
            boolean arrays = r.nextBoolean();
            String open = arrays ? "[" : "{\"a\":";
            String close = arrays ? "]" : "}";
            text = text.replaceFirst(java.util.regex.Pattern.quote(quoted),
                    java.util.regex.Matcher.quoteReplacement(open.repeat(depth) + "1" + close.repeat(depth)));
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
