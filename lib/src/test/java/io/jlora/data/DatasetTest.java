package io.jlora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/**
 * Dataset files (JSON Lines, JSON arrays, CSV) into tables and training examples, as TRL's SFT and
 * DPO trainers tokenize them, and bad input named by file, line and column. The tokenizer is the
 * golden llama-tiny's byte-level BPE (EOS = <|endoftext|>, no chat template: ChatML).
 */
class DatasetTest {

    @TempDir
    Path tmp;

    private static HfTokenizer tokenizer;
    private static long eos;

    @BeforeAll
    static void load() {
        tokenizer = HfTokenizer.load(TestFiles.golden("llama-tiny").resolve("model"));
        eos = tokenizer.specialId("eos_token");
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private Path file(String name, String... lines) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    private static long[] concat(long[] a, long... b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The text of the tokens whose label counts. */
    private static String trained(Example e) {
        return trained(tokenizer, e);
    }

    @Test
    void jsonLinesTextIsATableAndTrainsEveryTokenPlusEos() throws IOException {
        Path f = file("train.jsonl", "{\"text\": \"Low-rank adaptation.\", \"source\": \"a\"}", "",
                "{\"text\": \"Quantized bases keep memory low.\", \"source\": \"b\"}");
        Dataset d = Dataset.load(f, DataFormat.text("text"));
        assertEquals(2, d.size());
        assertEquals(List.of("text", "source"), d.columns());
        assertEquals(List.of(1L, 3L), d.records().stream().map(DataRecord::line).toList(), "blank lines skipped, lines kept");
        Table t = d.table();
        assertEquals(2, t.rowCount());
        assertEquals("Quantized bases keep memory low.", t.stringColumn("text").get(1));

        TokenizedData<Example> data = d.tokenize(tokenizer, TokenizeOptions.defaults());
        Example e = data.train().get(0);
        assertArrayEquals(concat(tokenizer.encode("Low-rank adaptation."), eos), e.inputIds());
        assertArrayEquals(e.inputIds(), e.labels());
        assertEquals(2, data.table().rowCount());
        assertTrue(data.summary().contains("2 train / 0 eval"), data.summary());
    }

    @Test
    void badJsonLineIsNamedWithFileAndLine() throws IOException {
        Path f = file("bad.jsonl", "{\"text\": \"ok\"}", "{\"text\": \"ok too\"}", "{\"text\": \"broken\",}");
        DataException e = assertThrows(DataException.class, () -> Dataset.load(f));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(f + ", line 3: not valid JSON"), e.getMessage());
    }

    @Test
    void missingOrWrongColumnsAreNamedWithLineAndColumn() throws IOException {
        Path f = file("cols.jsonl", "{\"text\": \"ok\"}", "{\"body\": \"no text here\"}");
        DataException missing = assertThrows(DataException.class, () -> Dataset.load(f, DataFormat.text("text")));
        assertEquals(2, missing.line());
        assertEquals("text", missing.column());
        assertTrue(missing.getMessage().contains("line 2, column 'text': missing (the record has [body])"), missing.getMessage());

        Path g = file("types.jsonl", "{\"prompt\": \"2+2=\", \"completion\": 4}");
        DataException type = assertThrows(DataException.class, () -> Dataset.load(g));
        assertEquals("completion", type.column());
        assertTrue(type.getMessage().contains("expected a string, found number"), type.getMessage());

        Path h = file("unknown.jsonl", "{\"question\": \"?\"}");
        DataException unknown = assertThrows(DataException.class, () -> Dataset.load(h));
        assertTrue(unknown.getMessage().contains("cannot tell the format") && unknown.getMessage().contains("--text-column"),
                unknown.getMessage());
        DataException none = assertThrows(DataException.class, () -> Dataset.load(tmp.resolve("nope.jsonl")));
        assertTrue(none.getMessage().contains("file not found"));
    }

    @Test
    void jsonArraysKeepTheLineOfEachRecord() throws IOException {
        Path f = file("data.json", "[", "  {\"prompt\": \"Hi\", \"completion\": \" there\"},", "  {\"prompt\": \"Bye\",",
                "   \"completion\": \" now\"}", "]");
        Dataset d = Dataset.load(f);
        assertEquals(DataFormat.promptCompletion("prompt", "completion"), d.format());
        assertEquals(List.of(2L, 3L), d.records().stream().map(DataRecord::line).toList());
        Path bad = file("bad.json", "[", "  {\"text\": \"a\"},", "  {\"text\": }", "]");
        DataException e = assertThrows(DataException.class, () -> Dataset.load(bad));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void csvThroughTablesawWithLinesOfMultiLineRecords() throws IOException {
        Path f = file("data.csv", "prompt,completion,id", "\"Say \"\"hi\"\"\", hi,1", "\"Two", "lines\",\" ok\",2",
                "Count,\" 123\",3");
        Dataset d = Dataset.load(f);
        assertEquals(DataFormat.Kind.PROMPT_COMPLETION, d.format().kind());
        assertEquals(3, d.size());
        assertEquals("Say \"hi\"", d.records().get(0).values().get("prompt").asText());
        assertEquals("Two\nlines", d.records().get(1).values().get("prompt").asText());
        assertEquals(" 123", d.records().get(2).values().get("completion").asText(), "numbers stay text");
        assertEquals(List.of(2L, 3L, 5L), d.records().stream().map(DataRecord::line).toList());
        DataException e = assertThrows(DataException.class, () -> Dataset.load(f, DataFormat.text("text")));
        assertEquals(2, e.line());
        assertEquals("text", e.column());
    }

    @Test
    void promptCompletionTrainsTheCompletionAndEosOnly() throws IOException {
        Path f = file("pc.jsonl", "{\"prompt\": \"Question: what is LoRA?\", \"completion\": \" Low-rank adaptation.\"}");
        Example e = Dataset.load(f).tokenize(tokenizer, TokenizeOptions.defaults()).train().get(0);
        long[] prompt = tokenizer.encode("Question: what is LoRA?");
        assertArrayEquals(concat(tokenizer.encode("Question: what is LoRA? Low-rank adaptation."), eos), e.inputIds());
        for (int i = 0; i < prompt.length; i++) {
            assertEquals(Example.IGNORE, e.labels()[i]);
        }
        assertEquals(" Low-rank adaptation.<|endoftext|>", trained(e));

        Example all = Dataset.load(f).tokenize(tokenizer, TokenizeOptions.defaults().withCompletionOnlyLoss(false)).train().get(0);
        assertArrayEquals(all.inputIds(), all.labels());
    }

    @Test
    void messagesUseChatMlWithoutATemplateAndTrainAssistantTurns() throws IOException {
        Path f = file("chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", "
                + "\"content\": \"Hello!\"}, {\"role\": \"user\", \"content\": \"Bye\"}, {\"role\": \"assistant\", \"content\": \"Ciao\"}]}");
        TokenizedData<Example> data = Dataset.load(f).tokenize(tokenizer, TokenizeOptions.defaults());
        assertTrue(data.usedFallbackTemplate());
        Example e = data.train().get(0);
        String text = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nCiao<|im_end|>\n";
        assertEquals(text, tokenizer.decode(e.inputIds(), false));
        assertEquals("Hello!<|im_end|>\nCiao<|im_end|>\n", trained(e));
    }

    @Test
    void messagesWithQwen3sTemplateTrainEveryAssistantTurnThoughEarlierThinkingIsDropped() throws IOException {
        try (HfTokenizer qwen3 = tokenizerWithTemplate(TestFiles.resource("chat-templates/qwen3.jinja"))) {
            Path one = file("one.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
                    + "{\"role\": \"assistant\", \"content\": \"Hello!\"}]}");
            Example e = Dataset.load(one).tokenize(qwen3, TokenizeOptions.defaults()).train().get(0);
            assertEquals("<think>\n\n</think>\n\nHello!<|im_end|>\n", trained(qwen3, e));
            // Qwen3 drops earlier turns' think blocks: the conversation does not render prefix by
            // prefix, and that does not matter when it is rendered once
            Path two = file("two.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
                    + "{\"role\": \"assistant\", \"content\": \"<think>greet</think>Hello!\"}, {\"role\": \"user\", \"content\": \"Bye\"}, "
                    + "{\"role\": \"assistant\", \"content\": \"Ciao\", \"reasoning_content\": \"part\"}]}");
            TokenizedData<Example> data = Dataset.load(two).tokenize(qwen3, TokenizeOptions.defaults());
            assertEquals(List.of(), data.warnings());
            assertEquals("Hello!<|im_end|>\n<think>\npart\n</think>\n\nCiao<|im_end|>\n", trained(qwen3, data.train().get(0)));
            Example all = Dataset.load(two).tokenize(qwen3, TokenizeOptions.defaults().withAssistantOnlyLoss(false))
                    .train().get(0);
            assertArrayEquals(all.inputIds(), all.labels());
            assertArrayEquals(all.inputIds(), data.train().get(0).inputIds());
        }
    }

    @Test
    void conversationalPromptCompletionAndsTheAssistantMaskAsTrl() throws IOException {
        try (HfTokenizer qwen3 = tokenizerWithTemplate(TestFiles.resource("chat-templates/qwen3.jinja"))) {
            Path f = file("pc.jsonl", "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", "
                    + "\"content\": \"Hello!\"}, {\"role\": \"user\", \"content\": \"Bye\"}], "
                    + "\"completion\": [{\"role\": \"assistant\", \"content\": \"Ciao\"}]}");
            Dataset d = Dataset.load(f);
            String completion = "<think>\n\n</think>\n\nCiao<|im_end|>\n";
            assertEquals(completion, trained(qwen3, d.tokenize(qwen3, TokenizeOptions.defaults()).train().get(0)));
            assertEquals(completion, trained(qwen3, d.tokenize(qwen3, TokenizeOptions.defaults().withAssistantOnlyLoss(false))
                    .train().get(0)));
            assertEquals("Hello!<|im_end|>\n" + completion, trained(qwen3, d.tokenize(qwen3,
                    TokenizeOptions.defaults().withCompletionOnlyLoss(false)).train().get(0)));
            Example all = d.tokenize(qwen3, TokenizeOptions.defaults().withCompletionOnlyLoss(false).withAssistantOnlyLoss(false))
                    .train().get(0);
            assertArrayEquals(all.inputIds(), all.labels());
        }
    }

    /** Tools from the options or a row's own tools column, and extra variables, reach the template. */
    @Test
    void chatRowsGetToolsAndTemplateKwargs() throws IOException {
        Path model = tmp.resolve("tok-tools");
        Files.createDirectories(model);
        Path src = TestFiles.golden("llama-tiny").resolve("model");
        Files.copy(src.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
        Files.copy(src.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"));
        Files.writeString(model.resolve("chat_template.jinja"),
                "{{ tools|tojson }}|{{ enable_thinking }}|{% for m in messages %}{{ m.content }}{% endfor %}");
        try (HfTokenizer tok = HfTokenizer.load(model)) {
            Path f = file("tools.jsonl", "{\"messages\": [{\"role\": \"assistant\", \"content\": \"a\"}],"
                    + " \"tools\": [{\"name\": \"own\", \"x\": 1e-05}]}\n"
                    + "{\"messages\": [{\"role\": \"assistant\", \"content\": \"b\"}]}");
            TokenizeOptions options = TokenizeOptions.defaults().withCompletionOnlyLoss(false).withAddEos(false)
                    .withChat(RenderOptions.defaults().withTools(List.of(Map.of("name", "shared")))
                            .withKwargs(Map.of("enable_thinking", false)));
            List<Example> rows = Dataset.load(f).tokenize(tok, options).train();
            assertEquals("[{\"name\": \"own\", \"x\": 1e-05}]|False|a", tok.decode(rows.get(0).inputIds(), false));
            assertEquals("[{\"name\": \"shared\"}]|False|b", tok.decode(rows.get(1).inputIds(), false));
        }
    }

    @Test
    void aTemplateWhoseTurnsCannotBeFoundTrainsEverythingWithOneWarning() throws IOException {
        Path template = tmp.resolve("upper.jinja");
        Files.writeString(template, "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] | upper }}</s>{% endfor %}");
        try (HfTokenizer upper = tokenizerWithTemplate(template)) {
            Path f = file("chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
                    + "{\"role\": \"assistant\", \"content\": \"hello\"}]}", "{\"messages\": [{\"role\": \"user\", "
                    + "\"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}");
            TokenizedData<Example> data = Dataset.load(f).tokenize(upper, TokenizeOptions.defaults());
            assertEquals(2, data.train().size());
            for (Example e : data.train()) {
                assertArrayEquals(e.inputIds(), e.labels());
            }
            assertEquals(1, data.warnings().size(), data.warnings().toString());
            assertTrue(data.warnings().get(0).contains("chat.jsonl:1") && data.warnings().get(0).contains("(2 records)"),
                    data.warnings().get(0));
            assertTrue(data.summary().contains("warning: "), data.summary());
        }
    }

    /** The golden tokenizer with {@code template} as its chat_template.jinja. */
    private HfTokenizer tokenizerWithTemplate(Path template) throws IOException {
        Path model = Files.createTempDirectory(tmp, "tok");
        Path src = TestFiles.golden("llama-tiny").resolve("model");
        Files.copy(src.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
        Files.copy(src.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"));
        Files.copy(template, model.resolve("chat_template.jinja"));
        return HfTokenizer.load(model);
    }

    private static String trained(HfTokenizer tok, Example e) {
        List<Long> ids = new ArrayList<>();
        for (long l : e.labels()) {
            if (l != Example.IGNORE) {
                ids.add(l);
            }
        }
        return tok.decode(ids.stream().mapToLong(Long::longValue).toArray(), false);
    }

    @Test
    void truncationAndSeededEvalSplit() throws IOException {
        String[] lines = IntStream.range(0, 20).mapToObj(i -> "{\"text\": \"record number " + i + " of twenty\"}")
                .toArray(String[]::new);
        Path f = file("many.jsonl", lines);
        Dataset d = Dataset.load(f);
        TokenizedData<Example> a = d.tokenize(tokenizer, TokenizeOptions.defaults().withEvalSplit(0.25).withSeed(1));
        TokenizedData<Example> b = d.tokenize(tokenizer, TokenizeOptions.defaults().withEvalSplit(0.25).withSeed(1));
        TokenizedData<Example> c = d.tokenize(tokenizer, TokenizeOptions.defaults().withEvalSplit(0.25).withSeed(2));
        assertEquals(15, a.train().size());
        assertEquals(5, a.eval().size());
        assertEquals(lines(a.eval()), lines(b.eval()), "same seed, same split");
        assertNotEquals(lines(a.eval()), lines(c.eval()), "another seed, another split");
        TokenizedData<Example> cut = d.tokenize(tokenizer, TokenizeOptions.defaults().withMaxSeqLength(4));
        assertTrue(cut.train().stream().allMatch(e -> e.length() == 4));
        assertEquals(20, cut.stats().truncated());
        assertThrows(IllegalArgumentException.class, () -> TokenizeOptions.defaults().withEvalSplit(1.0));
    }

    private static String lines(List<Example> examples) {
        return examples.stream().map(e -> Long.toString(e.line())).collect(Collectors.joining(","));
    }

    @Test
    void preferencePairsAsTrl() throws IOException {
        Path f = file("dpo.jsonl", "{\"prompt\": \"Which is better?\", \"chosen\": \" LoRA.\", \"rejected\": \" Nothing.\"}");
        Dataset d = Dataset.load(f);
        assertTrue(d.format().isPreference());
        assertThrows(DataException.class, () -> d.tokenize(tokenizer, TokenizeOptions.defaults()));
        PreferenceExample p = d.tokenizePreferences(tokenizer, TokenizeOptions.defaults()).train().get(0);
        assertArrayEquals(tokenizer.encode("Which is better?"), p.prompt());
        assertArrayEquals(concat(tokenizer.encode(" LoRA."), eos), p.chosen());
        assertArrayEquals(concat(tokenizer.encode(" Nothing."), eos), p.rejected());
        PreferenceExample cut = d.tokenizePreferences(tokenizer, TokenizeOptions.defaults().withMaxPromptLength(2)
                .withMaxSeqLength(4)).train().get(0);
        long[] prompt = tokenizer.encode("Which is better?");
        assertArrayEquals(Arrays.copyOfRange(prompt, prompt.length - 2, prompt.length), cut.prompt(), "prompt keeps its end");
        assertEquals(2, cut.chosen().length, "completion cut to fit max-seq-length");
    }
}
