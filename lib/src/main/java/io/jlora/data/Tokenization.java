package io.jlora.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.jlora.JloraException;
import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.model.tokenizer.HfTokenizer.TokenSpans;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Records to token sequences, following TRL's SFT and DPO trainers:
 *
 * <ul>
 *   <li>text: {@code tokenizer(text)} plus EOS, every token trained;
 *   <li>prompt/completion: ids of prompt + completion (plus EOS), the loss masked over the ids of
 *       the prompt alone; conversational values are rendered with the chat template (the prompt
 *       with the generation prompt), as TRL's maybe_apply_chat_template, and with assistant-only
 *       loss also masked outside the assistant turns of the whole conversation, as TRL;
 *   <li>messages: the conversation rendered once; with assistant-only loss, the tokens of each
 *       assistant turn (header excluded, turn end included), as TRL's generation-marked templates
 *       give them, found in the rendered text by {@link AssistantSpans} and mapped to tokens by
 *       their character offsets ({@link TokenMask}); a template whose turns cannot be found trains
 *       every token, with one warning;
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
    private Optional<AssistantSpans> locator;
    private final List<String> warnings = new ArrayList<>();
    private int unmasked;
    /** The text the last record was rendered to (before the tokenizer's special tokens), for {@link #render}. */
    private String renderedText;
    /** A row's own tool schemas for its chat template, as TRL's datasets carry them. */
    static final String TOOLS_COLUMN = "tools";
    private int records;
    private int truncated;
    private int dropped;
    private long tokens;
    private long trainedTokens;

    /** Tokenization of {@code dataset}'s records with {@code tokenizer} under {@code options}. */
    Tokenization(Dataset dataset, HfTokenizer tokenizer, TokenizeOptions options) {
        this.file = dataset.file();
        this.format = dataset.format();
        this.encoder = new TextEncoder(tokenizer);
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
            Example e = truncate(example(r));
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

    /** One record as it trains (cut to max-seq-length) with the text it was rendered to; never dropped. */
    RenderedRow render(DataRecord r) {
        Example e = truncate(example(r));
        return new RenderedRow(renderedText, e.inputIds(), e.labels(), r.line());
    }

    private Example example(DataRecord r) {
        return switch (format.kind()) {
            case TEXT -> text(r);
            case PROMPT_COMPLETION -> promptCompletion(r);
            case MESSAGES -> messages(r);
            default -> throw new IllegalStateException(format.toString());
        };
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
        renderedText = r.values().get(format.columns().get(0)).asText();
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
            renderedText = full;
            promptIds = encoder.encode(promptText, false);
            ids = encoder.encode(full, false);
        } else {
            String p = prompt.asText();
            renderedText = p + r.values().get(ccol).asText();
            promptIds = encoder.encodePrefix(p);
            ids = withEos(encoder.encode(p + r.values().get(ccol).asText(), true));
        }
        long[] labels = ids.clone();
        if (options.completionOnlyLoss()) {
            Arrays.fill(labels, 0, Math.min(promptIds.length, labels.length), Example.IGNORE);
        }
        if (prompt.isArray() && options.assistantOnlyLoss()) {
            // TRL ANDs the assistant mask of the whole conversation with the completion mask
            ArrayNode all = DataFiles.JSON.createArrayNode();
            all.addAll((ArrayNode) prompt);
            all.addAll((ArrayNode) r.values().get(ccol));
            List<TextSpan> spans = assistantSpans().map(a -> a.locate(renderedText, all)).orElse(null);
            if (spans == null) {
                unmasked(r);
            } else {
                long[] assistant = TokenMask.labels(encoder.encodeWithSpans(renderedText), spans);
                for (int t = 0; t < labels.length; t++) {
                    if (assistant[t] == Example.IGNORE) {
                        labels[t] = Example.IGNORE;
                    }
                }
            }
        }
        return new Example(ids, labels, r.line());
    }

    private Example messages(DataRecord r) {
        String col = format.columns().get(0);
        JsonNode messages = r.values().get(col);
        Chat chat = renderChat(r, col, messages);
        renderedText = chat.text();
        if (!options.assistantOnlyLoss()) {
            long[] ids = encoder.encode(chat.text(), false);
            return new Example(ids, ids.clone(), r.line());
        }
        boolean any = false;
        for (JsonNode m : messages) {
            any |= "assistant".equals(m.path("role").asText());
        }
        if (!any) {
            throw new DataException(file, r.line(), col, "no assistant message to train on");
        }
        TokenSpans tokens = encoder.encodeWithSpans(chat.text());
        List<TextSpan> spans = chat.generationSpans() != null ? chat.generationSpans()
                : assistantSpans().map(a -> a.locate(chat.text(), messages)).orElse(null);
        if (spans == null) {
            unmasked(r);
            return new Example(tokens.ids(), tokens.ids().clone(), r.line());
        }
        return new Example(tokens.ids(), TokenMask.labels(tokens, spans), r.line());
    }

    /**
     * The conversation rendered once, and the character spans of the template's own assistant
     * marks ({@code {% generation %}} blocks, as TRL's training templates have), or null spans when
     * it has none; those then come from {@link AssistantSpans}.
     */
    private Chat renderChat(DataRecord r, String column, JsonNode messages) {
        RenderedChat rendered = renderWhole(r, column, messages);
        List<TextSpan> spans = null;
        if (rendered.hasGenerationSpans()) {
            spans = new ArrayList<>();
            for (int[] g : rendered.generationSpans()) {
                spans.add(new TextSpan(g[0], g[1]));
            }
        }
        return new Chat(rendered.text(), spans);
    }

    /** A rendered conversation and its assistant spans (null: not marked by the template). */
    private record Chat(String text, List<TextSpan> generationSpans) {}

    private Optional<AssistantSpans> assistantSpans() {
        if (locator == null) {
            locator = Optional.ofNullable(AssistantSpans.probe(template));
        }
        return locator;
    }

    /** Trains a whole conversation whose turns cannot be found: one warning per dataset, then a count. */
    private void unmasked(DataRecord r) {
        if (unmasked++ == 0) {
            String w = file + ":" + r.line() + ": cannot find the assistant turns in what the chat template renders;"
                    + " training on whole conversations (prompt/completion rows: on the completion)"
                    + " (pass --assistant-only-loss false to silence this)";
            warnings.add(w);
            System.err.println("jlora: warning: " + w);
        }
    }

    /** Warnings of this tokenization (at most one per kind), with how many records each concerned. */
    List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (String w : warnings) {
            out.add(unmasked > 1 ? w + " (" + unmasked + " records)" : w);
        }
        return out;
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
        return renderWith(r, column, messages, chatOptions(r).withGenerationPrompt(generationPrompt)).text();
    }

    private RenderedChat renderWhole(DataRecord r, String column, JsonNode messages) {
        return renderWith(r, column, messages, chatOptions(r).withGenerationPrompt(false));
    }

    private RenderedChat renderWith(DataRecord r, String column, JsonNode messages, RenderOptions chat) {
        if (template == null) {
            template = ChatTemplate.of(encoder.tokenizer());
        }
        try {
            return template.render(messages, chat);
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
}
