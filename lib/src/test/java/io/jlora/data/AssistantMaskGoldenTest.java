package io.jlora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jlora.lora.Adapters;
import io.jlora.lora.LoraConfig;
import io.jlora.model.CausalLm;
import io.jlora.model.Family;
import io.jlora.model.RandomModels;
import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.testing.TestFiles;
import io.jlora.train.LoraTraining;
import io.jlora.train.Trainer;
import io.jlora.train.TrainerConfig;
import io.jlora.train.TrainingSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-turn Qwen3 conversations (earlier turns' reasoning dropped by Qwen3's real template, tool
 * calls, unicode) get, with default options, the labels TRL's assistant-only mask gives them
 * (masks/make_masks.py: transformers' return_assistant_tokens_mask over the generation-marked
 * template), and TRL's own training template (qwen3_training.jinja) gets TRL's labels too. Then the
 * data trains with default settings.
 */
class AssistantMaskGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private JsonNode golden() throws IOException {
        return JSON.readTree(TestFiles.resource("masks/qwen3-multiturn.json").toFile());
    }

    /** The masks tokenizer folder, with {@code template} as its chat template. */
    private Path tokenizerDir(Path template) throws IOException {
        Path src = TestFiles.resource("masks/tokenizer");
        Path dir = Files.createTempDirectory(tmp, "tok");
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        Files.copy(template, dir.resolve("chat_template.jinja"));
        return dir;
    }

    private Path chatFile(JsonNode rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (JsonNode row : rows) {
            sb.append(JSON.writeValueAsString(JSON.createObjectNode().set("messages", row.get("messages")))).append('\n');
        }
        Path f = tmp.resolve("chat.jsonl");
        Files.writeString(f, sb);
        return f;
    }

    private void assertLabels(Path template, String text, String ids, String labels) throws IOException {
        JsonNode rows = golden().get("rows");
        try (HfTokenizer tok = HfTokenizer.load(tokenizerDir(template))) {
            TokenizedData<Example> data = Dataset.load(chatFile(rows)).tokenize(tok, TokenizeOptions.defaults());
            assertEquals(List.of(), data.warnings());
            ChatTemplate chat = ChatTemplate.of(tok);
            for (int k = 0; k < rows.size(); k++) {
                JsonNode row = rows.get(k);
                assertEquals(row.get(text).asText(), chat.render(row.get("messages"), false), "row " + k + " text");
                Example e = data.train().get(k);
                assertArrayEquals(longs(row.get(ids)), e.inputIds(), "row " + k + " ids");
                assertArrayEquals(longs(row.get(labels)), e.labels(), "row " + k + " labels");
            }
        }
    }

    @Test
    void qwen3sRealTemplateGetsTheGenerationMarkedTemplatesLabels() throws IOException {
        assertLabels(TestFiles.resource("chat-templates/qwen3.jinja"), "text", "ids", "labels");
    }

    @Test
    void trlsQwen3TrainingTemplateGetsTrlsLabels() throws IOException {
        assertLabels(TestFiles.resource("masks/qwen3_training.jinja"), "trl_text", "trl_ids", "trl_labels");
    }

    @Test
    void multiTurnQwen3DataTrainsWithDefaultSettings() throws IOException {
        Path model = tmp.resolve("model");
        RandomModels.write(model, RandomModels.Spec.of(Family.QWEN3, 32, 1, 2, 1, 64, 324, 3)
                .withTokenizer(TestFiles.resource("masks/tokenizer/tokenizer.json")));
        Path tok = TestFiles.resource("masks/tokenizer");
        Files.copy(tok.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(tok.resolve("chat_template.jinja"), model.resolve("chat_template.jinja"), StandardCopyOption.REPLACE_EXISTING);
        try (CausalLm lm = CausalLm.load(model, "cpu", "auto")) {
            Adapters.of(lm).add("default", LoraConfig.builder().r(4).loraAlpha(8).targetModules("all-linear").build(), 42);
            TokenizedData<Example> data = Dataset.load(chatFile(golden().get("rows"))).tokenize(lm.tokenizer(), TokenizeOptions.defaults());
            try (Trainer trainer = Trainer.sft(LoraTraining.of(lm), data, TrainerConfig.builder().lr(1e-3).batchSize(2).steps(2).build())) {
                TrainingSummary s = trainer.train();
                assertEquals(2, s.steps());
                assertTrue(Double.isFinite(s.lastLoss()), "loss " + s.lastLoss());
            }
        }
    }

    private static long[] longs(JsonNode array) {
        List<Long> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asLong()));
        return out.stream().mapToLong(Long::longValue).toArray();
    }
}
