package io.jlora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.JloraException;
import io.jlora.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chat-template subset against what transformers' apply_chat_template renders for real
 * templates (chat-templates/ in the test resources: Meta-Llama-3-Instruct's, Qwen2.5-Instruct's
 * and Qwen3's, copied from their tokenizer_config.json), and its errors.
 */
class ChatTemplateTest {

    private static final List<Map<String, String>> CHAT = List.of(
            Map.of("role", "system", "content", "Be brief."),
            Map.of("role", "user", "content", "Hi"),
            Map.of("role", "assistant", "content", "Hello!"));

    private static ChatTemplate template(String file) throws IOException {
        String source = Files.readString(TestFiles.resource("chat-templates/" + file));
        return ChatTemplate.of(source, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
    }

    @Test
    void llama3() throws IOException {
        ChatTemplate t = template("llama3.jinja");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>", t.render(CHAT, false));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", t.render(CHAT.subList(1, 2), true));
        // message['content'] | trim binds before +
        assertTrue(t.render(List.of(Map.of("role", "user", "content", "  padded  ")), false).contains("\n\npadded<|eot_id|>"));
    }

    @Test
    void qwen25() throws IOException {
        ChatTemplate t = template("qwen2.5.jinja");
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n", t.render(CHAT, false));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.render(CHAT.subList(1, 2), true));
    }

    @Test
    void qwen3ThinkBlocksOnlyAfterTheLastQuery() throws IOException {
        ChatTemplate t = template("qwen3.jinja");
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n",
                t.render(CHAT.subList(1, 3), false));
        List<Map<String, String>> twoTurns = List.of(Map.of("role", "user", "content", "Hi"),
                Map.of("role", "assistant", "content", "<think>\nhmm\n</think>\n\nHello!"),
                Map.of("role", "user", "content", "Bye"),
                Map.of("role", "assistant", "content", "Bye!"));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nBye!<|im_end|>\n",
                t.render(twoTurns, false));
    }

    @Test
    void chatMlFallback() {
        ChatTemplate t = ChatTemplate.of(ChatTemplate.CHATML, Map.of());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.render(CHAT.subList(1, 2), true));
    }

    @Test
    void templateRefusalsAndUnsupportedConstructsAreClearErrors() {
        ChatTemplate alternate = ChatTemplate.of("{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "{{ m['content'] }}{% endfor %}", Map.of());
        JloraException e = assertThrows(JloraException.class,
                () -> alternate.render(List.of(Map.of("role", "assistant", "content", "x")), false));
        assertTrue(e.getMessage().contains("roles must alternate"), e.getMessage());

        JloraException include = assertThrows(JloraException.class,
                () -> ChatTemplate.of("line one\n{% include 'other.jinja' %}", Map.of()));
        assertTrue(include.getMessage().contains("include") && include.getMessage().contains("line 2"), include.getMessage());

        JloraException filter = assertThrows(JloraException.class,
                () -> ChatTemplate.of("{{ messages|wordwrap }}", Map.of()).render(CHAT, false));
        assertTrue(filter.getMessage().contains("wordwrap"), filter.getMessage());
    }
}
