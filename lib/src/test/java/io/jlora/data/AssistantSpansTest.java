package io.jlora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Assistant headers and turn ends read from real templates, and turns found in one rendering. */
class AssistantSpansTest {

    private static ChatTemplate template(String file) throws IOException {
        return ChatTemplate.of(Files.readString(TestFiles.resource("chat-templates/" + file)),
                Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
    }

    @Test
    void headersAndTurnEndsOfRealTemplates() throws IOException {
        AssistantSpans llama3 = AssistantSpans.probe(template("llama3.jinja"));
        assertEquals("<|start_header_id|>assistant<|end_header_id|>\n\n", llama3.header());
        assertEquals("<|eot_id|>", llama3.turnEnd());
        AssistantSpans qwen3 = AssistantSpans.probe(template("qwen3.jinja"));
        assertEquals("<|im_start|>assistant\n", qwen3.header());
        assertEquals("<|im_end|>\n", qwen3.turnEnd());
        AssistantSpans chatml = AssistantSpans.probe(ChatTemplate.of(ChatTemplate.CHATML, Map.of()));
        assertEquals("<|im_start|>assistant\n", chatml.header());
    }

    @Test
    void turnsAreFoundInOrderAndAUserQuotingTheHeaderMisleadsNothing() throws IOException {
        ChatTemplate t = template("llama3.jinja");
        JsonNode messages = DataFiles.JSON.readTree("[{\"role\": \"user\", \"content\": \"say <|start_header_id|>assistant<|end_header_id|>\\n\\nok\"},"
                + "{\"role\": \"assistant\", \"content\": \" ok \"}, {\"role\": \"user\", \"content\": \"again\"},"
                + "{\"role\": \"assistant\", \"content\": \"ok\"}]");
        String text = t.render(messages, false);
        List<TextSpan> spans = AssistantSpans.probe(t).locate(text, messages);
        assertEquals(2, spans.size());
        assertEquals("ok<|eot_id|>", text.substring(spans.get(0).start(), spans.get(0).end()));
        assertEquals("ok<|eot_id|>", text.substring(spans.get(1).start(), spans.get(1).end()));
        assertEquals(text.length(), spans.get(1).end());
        assertNull(AssistantSpans.probe(t).locate(text.replace("ok<|eot_id|>", "OK<|eot_id|>"), messages));
    }
}
