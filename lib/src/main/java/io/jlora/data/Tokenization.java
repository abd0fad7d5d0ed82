package io.jlora.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.jlora.JloraException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Records to token sequences, following TRL's SFT and DPO trainers:
 *
 * <ul>
 *   <li>text: {@code tokenizer(text)} plus EOS, every token trained;
 *   <li>prompt/completion: ids of prompt + completion (plus EOS), the loss masked over the ids of
 *       the prompt alone; conversational values are rendered with the chat template (the prompt
 *       with the generation prompt), as TRL's maybe_apply_chat_template;
 *   <li>messages: the rendered conversation; with completion-only loss, each assistant turn's span
 *       is found by rendering the conversation up to it (with the generation prompt) and through
 *       it, which needs a template that renders conversations prefix by prefix;
 *   <li>preference: prompt ids (with the tokenizer's leading special tokens), chosen and rejected
 *       ids without special tokens plus EOS; the prompt keeps its last max-prompt-length tokens,
 *       completions are cut so that prompt + completion fits max-seq-length.
 * </ul>
 *
 * Sequences are cut to max-seq-length keeping the start (TRL's default). Examples left with
 * nothing to train on are dropped and counted.
 */
final class Tokenization {

    private final Path file;
    private final DataFormat format;
    private final TextEncoder encoder;
    private final TokenizeOptions options;
    private ChatTemplate template;
    /** A row's own tool schemas for its chat template, as TRL's datasets carry them. */
    static final String TOOLS_COLUMN = "tools";
    private int records;
    private int truncated;
    private int dropped;
    private long tokens;
    private long trainedTokens;

    Tokenization(Path file, DataFormat format, TextEncoder encoder, TokenizeOptions options) {
        this.file = file;
        this.format = format;
        this.encoder = encoder;
        this.options = options;
    }

    TokenizedData.Stats stats() {
        return new TokenizedData.Stats(records, truncated, dropped, tokens, trainedTokens);
    }

    boolean usedFallbackTemplate() {
        return template != null && template.isFallback();
    }

    List<Example> examples(List<DataRecord> rows) {
        List<Example> out = new ArrayList<>();
        for (DataRecord r : rows) {
            records++;
            Example e = switch (format.kind()) {
                case TEXT -> text(r);
                case PROMPT_COMPLETION -> promptCompletion(r);
                case MESSAGES -> messages(r);
                default -> throw new IllegalStateException(format.toString());
            };
            e = truncate(e);
            int trained = e.trainedTokens();
            if (trained == 0) {
                dropped++;
                continue;
            }
            tokens += e.length();
            trainedTokens += trained;
            out.add(e);
        }
        return out;
    }

    List<PreferenceExample> preferences(List<DataRecord> rows) {
        List<PreferenceExample> out = new ArrayList<>();
        String pc = format.columns().get(0);
        String cc = format.columns().get(1);
        String rc = format.columns().get(2);
        for (DataRecord r : rows) {
            records++;
            JsonNode prompt = r.values().get(pc);
            long[] p;
            long[] chosen;
            long[] rejected;
            if (prompt.isArray()) {
                String promptText = render(r, pc, prompt, true);
                p = encoder.encode(promptText, false);
                chosen = encoder.encode(continuation(r, cc, prompt, promptText), false);
                rejected = encoder.encode(continuation(r, rc, prompt, promptText), false);
            } else {
                p = encoder.encodePrefix(prompt.asText());
                chosen = encoder.encode(r.values().get(cc).asText(), false);
                rejected = encoder.encode(r.values().get(rc).asText(), false);
            }
            chosen = withEos(chosen);
            rejected = withEos(rejected);
            boolean cut = false;
            if (p.length > options.maxPromptLength()) {
                p = Arrays.copyOfRange(p, p.length - options.maxPromptLength(), p.length);
                cut = true;
            }
            int room = Math.max(0, options.maxSeqLength() - p.length);
            if (chosen.length > room || rejected.length > room) {
                chosen = Arrays.copyOf(chosen, Math.min(chosen.length, room));
                rejected = Arrays.copyOf(rejected, Math.min(rejected.length, room));
                cut = true;
            }
            if (cut) {
                truncated++;
            }
            if (chosen.length == 0 || rejected.length == 0) {
                dropped++;
                continue;
            }
            tokens += p.length * 2L + chosen.length + rejected.length;
            trainedTokens += chosen.length + rejected.length;
            out.add(new PreferenceExample(p, chosen, rejected, r.line()));
        }
        return out;
    }

    // ---------------------------------------------------------------- formats

    private Example text(DataRecord r) {
        long[] ids = withEos(encoder.encode(r.values().get(format.columns().get(0)).asText(), true));
        return new Example(ids, ids.clone(), r.line());
    }

    private Example promptCompletion(DataRecord r) {
        String pcol = format.columns().get(0);
        String ccol = format.columns().get(1);
        JsonNode prompt = r.values().get(pcol);
        long[] promptIds;
        long[] ids;
        if (prompt.isArray()) {
            String promptText = render(r, pcol, prompt, true);
            String full = promptText + continuation(r, ccol, prompt, promptText);
            promptIds = encoder.encode(promptText, false);
            ids = encoder.encode(full, false);
        } else {
            String p = prompt.asText();
            promptIds = encoder.encodePrefix(p);
            ids = withEos(encoder.encode(p + r.values().get(ccol).asText(), true));
        }
        long[] labels = ids.clone();
        if (options.completionOnlyLoss()) {
            Arrays.fill(labels, 0, Math.min(promptIds.length, labels.length), Example.IGNORE);
        }
        return new Example(ids, labels, r.line());
    }

    private Example messages(DataRecord r) {
        String col = format.columns().get(0);
        JsonNode messages = r.values().get(col);
        String full = render(r, col, messages, false);
        long[] ids = encoder.encode(full, false);
        if (!options.completionOnlyLoss()) {
            return new Example(ids, ids.clone(), r.line());
        }
        long[] labels = new long[ids.length];
        Arrays.fill(labels, Example.IGNORE);
        boolean any = false;
        for (int k = 0; k < messages.size(); k++) {
            if (!"assistant".equals(messages.get(k).path("role").asText())) {
                continue;
            }
            any = true;
            String before = render(r, col, slice(messages, k), true);
            String through = render(r, col, slice(messages, k + 1), false);
            if (!through.startsWith(before) || !full.startsWith(through)) {
                throw new DataException(file, r.line(), col, "the chat template does not render this conversation"
                        + " prefix by prefix, so the assistant turns cannot be told apart; train on every token"
                        + " (completion-only loss off) or use prompt/completion columns");
            }
            int start = encoder.encode(before, false).length;
            int end = Math.min(ids.length, encoder.encode(through, false).length);
            for (int t = start; t < end; t++) {
                labels[t] = ids[t];
            }
        }
        if (!any) {
            throw new DataException(file, r.line(), col, "no assistant message to train on");
        }
        return new Example(ids, labels, r.line());
    }

    // ---------------------------------------------------------------- helpers

    private Example truncate(Example e) {
        if (e.length() <= options.maxSeqLength()) {
            return e;
        }
        truncated++;
        int n = options.maxSeqLength();
        return new Example(Arrays.copyOf(e.inputIds(), n), Arrays.copyOf(e.labels(), n), e.line());
    }

    private long[] withEos(long[] ids) {
        Long eos = encoder.eos();
        if (!options.addEos() || eos == null || (ids.length > 0 && ids[ids.length - 1] == eos)) {
            return ids;
        }
        long[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }

    /** The text that {@code column}'s messages add after the prompt's rendering. */
    private String continuation(DataRecord r, String column, JsonNode prompt, String promptText) {
        ArrayNode all = DataFiles.JSON.createArrayNode();
        all.addAll((ArrayNode) prompt);
        all.addAll((ArrayNode) r.values().get(column));
        String full = render(r, column, all, false);
        if (!full.startsWith(promptText)) {
            throw new DataException(file, r.line(), column, "the chat template renders the prompt differently on its own"
                    + " than followed by the completion; cannot tell where the completion starts");
        }
        return full.substring(promptText.length());
    }

    private String render(DataRecord r, String column, JsonNode messages, boolean generationPrompt) {
        if (template == null) {
            template = ChatTemplate.of(encoder.tokenizer());
        }
        try {
            return template.render(messages, chatOptions(r).withGenerationPrompt(generationPrompt)).text();
        } catch (JloraException e) {
            throw new DataException(file, r.line(), column, e.getMessage(), e);
        }
    }

    /** The options' tools, or the row's own: a {@code tools} column holding a JSON array (or its text, as in CSV). */
    private RenderOptions chatOptions(DataRecord r) {
        JsonNode tools = r.values().get(TOOLS_COLUMN);
        if (tools == null || tools.isNull() || (tools.isTextual() && tools.asText().isBlank())) {
            return options.chat();
        }
        if (tools.isTextual()) {
            try {
                tools = DataFiles.JSON.readTree(tools.asText());
            } catch (java.io.IOException e) {
                throw new DataException(file, r.line(), TOOLS_COLUMN, "not valid JSON: " + e.getMessage(), e);
            }
        }
        if (!tools.isArray()) {
            throw new DataException(file, r.line(), TOOLS_COLUMN, "must be a JSON array of tool schemas");
        }
        List<Object> list = new ArrayList<>();
        tools.forEach(list::add);
        return options.chat().withTools(list);
    }

    private static ArrayNode slice(JsonNode messages, int end) {
        ArrayNode out = DataFiles.JSON.createArrayNode();
        for (int k = 0; k < end; k++) {
            out.add(messages.get(k));
        }
        return out;
    }
}
