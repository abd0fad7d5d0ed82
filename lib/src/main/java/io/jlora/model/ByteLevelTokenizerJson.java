package io.jlora.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the smallest useful tokenizer.json: GPT-2-style byte-level BPE with no merges, so every
 * byte is one token (ids 0..255 are the bytes) and any text round-trips, plus two special tokens.
 * Enough for random models in tests and benchmarks; real models bring their own tokenizer.json.
 */
public final class ByteLevelTokenizerJson {

    public static final int EOS_ID = 256;
    public static final int PAD_ID = 257;
    public static final int SIZE = 258;

    private ByteLevelTokenizerJson() {}

    public static void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        addSpecial(added, EOS_ID, "<|endoftext|>");
        addSpecial(added, PAD_ID, "<|pad|>");
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(json, true));
        root.set("post_processor", byteLevel(json, false));
        root.set("decoder", byteLevel(json, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        int[] chars = bytesToUnicode();
        for (int b = 0; b < 256; b++) {
            vocab.put(new String(Character.toChars(chars[b])), b);
        }
        model.putArray("merges");
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }

    /** GPT-2's reversible map from bytes to printable code points (the byte-level alphabet). */
    static int[] bytesToUnicode() {
        List<Integer> printable = new ArrayList<>();
        for (int c = '!'; c <= '~'; c++) {
            printable.add(c);
        }
        for (int c = 0xA1; c <= 0xAC; c++) {
            printable.add(c);
        }
        for (int c = 0xAE; c <= 0xFF; c++) {
            printable.add(c);
        }
        int[] map = new int[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            map[b] = printable.contains(b) ? b : 256 + n++;
        }
        return map;
    }

    private static void addSpecial(ArrayNode added, int id, String content) {
        ObjectNode t = added.addObject();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
    }

    private static ObjectNode byteLevel(ObjectMapper json, boolean trimOffsets) {
        ObjectNode n = json.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }
}
