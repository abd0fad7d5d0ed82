package io.jlora.fuzz;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jlora.model.tokenizer.HfTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Loading a tokenizer ({@link HfTokenizer#load}, the Rust tokenizers library through DJL) and
 * using it (encode, decode) with tokenizer.json damaged (broken merges and vocab, ids past int,
 * negative or duplicate ids, unknown model and pre-tokenizer types) or tokenizer_config.json
 * damaged (special tokens of the wrong type, chat templates of the wrong type).
 */
class TokenizerFuzzTest {

    static final FuzzStats STATS = new FuzzStats("tokenizer");
    private static final Path MODEL = Seeds.model();
    private static final String TOKENIZER = Seeds.text(MODEL.resolve("tokenizer.json"));
    private static final String CONFIG = Seeds.text(MODEL.resolve("tokenizer_config.json"));
    private static final List<String> TOKENIZER_KEYS = List.of("model", "vocab", "merges", "type", "added_tokens", "id",
            "content", "special", "pre_tokenizer", "normalizer", "post_processor", "decoder", "unk_token",
            "byte_fallback", "dropout", "continuing_subword_prefix", "truncation", "padding", "max_length", "ignore_merges");
    private static final List<String> CONFIG_KEYS = List.of("bos_token", "eos_token", "pad_token", "unk_token",
            "chat_template", "content", "name", "template", "model_max_length");

    @Property
    void damagedTokenizerLoadsOrIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        Path dir = Scratch.newFolder();
        String damaged;
        int kind = r.nextInt(5);
        if (kind < 2) {
            damaged = "tokenizer.json";
            Scratch.write(dir.resolve(damaged), JsonMutator.mutate(TOKENIZER, TOKENIZER_KEYS, r));
        } else if (kind < 4) {
            damaged = "tokenizer.json";
            Scratch.write(dir.resolve(damaged), lyingVocabulary(r));
        } else {
            damaged = "tokenizer_config.json";
            Scratch.write(dir.resolve(damaged), JsonMutator.mutate(CONFIG, CONFIG_KEYS, r));
        }
        for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
            if (!name.equals(damaged)) {
                Scratch.link(dir.resolve(name), MODEL.resolve(name));
            }
        }
        String text = new String[] {"Hello world", "", "\u00e9\u4e16\ud83d\ude00 <|endoftext|>", "a".repeat(5000)}[r.nextInt(4)];
        Verdict v = Guard.run(dir, () -> {
            try (HfTokenizer tok = HfTokenizer.load(dir)) {
                long[] ids = tok.encode(text);
                return tok.decode(ids, r.nextBoolean());
            }
        });
        STATS.record(v, "seed " + seed + " (" + damaged + ")");
        Scratch.delete(dir);
    }

    /** The seed's BPE model with its vocabulary and merges lied about in targeted ways. */
    private static byte[] lyingVocabulary(Random r) {
        ObjectNode root = (ObjectNode) JsonMutator.parse(TOKENIZER);
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = (ObjectNode) model.get("vocab");
        List<String> tokens = new java.util.ArrayList<>();
        vocab.fieldNames().forEachRemaining(tokens::add);
        ArrayNode merges = model.withArray("merges");
        String a = tokens.get(r.nextInt(tokens.size()));
        switch (r.nextInt(9)) {
            case 0 -> vocab.put(a, new long[] {-1, 1L << 31, 1L << 32, 1L << 40, Long.MAX_VALUE}[r.nextInt(5)]);
            case 1 -> vocab.put(a, tokens.size() + 1000 + r.nextInt(1 << 20)); // a gap in the ids
            case 2 -> vocab.put(a, vocab.get(tokens.get(r.nextInt(tokens.size()))).asLong()); // a duplicate id
            case 3 -> merges.add("zz" + r.nextInt(9) + " qq"); // a merge of unknown tokens
            case 4 -> merges.add(a); // a merge that is not a pair
            case 5 -> merges.add(merges.arrayNode().add(a).add(a).add(a));
            case 6 -> ((ObjectNode) root.get("added_tokens").get(r.nextInt(2))).put("id",
                    new long[] {-1, 1L << 32, 100_000, Integer.MAX_VALUE}[r.nextInt(4)]);
            case 7 -> vocab.removeAll();
            default -> {
                // merges that are valid pairs of known tokens, possibly repeated, as a real BPE has
                for (int i = 0; i < 1 + r.nextInt(200); i++) {
                    merges.add(tokens.get(r.nextInt(tokens.size())) + " " + tokens.get(r.nextInt(tokens.size())));
                }
            }
        }
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    @AfterContainer
    static void report() {
        STATS.publish();
    }
}
