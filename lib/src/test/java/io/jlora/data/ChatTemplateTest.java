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
 * and Qwen3's, copied from their tokenizer_config.json), and Jinja's own rules (trim_blocks,
 * lstrip_blocks, whitespace control, scoping, filters and tests).
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

    private static String render(String source, Map<String, Object> vars) {
        return Jinja.parse(source).render(vars);
    }

    @Test
    void whitespaceRulesAreJinjasWithTransformersSettings() {
        // trim_blocks: the newline after a block tag goes; lstrip_blocks: indentation before one goes
        assertEquals("a\nb\n", render("{% if true %}\n  a\n{% endif %}\nb\n".replace("  a", "a"), Map.of()));
        assertEquals("x\n", render("    {% if true %}\nx\n    {% endif %}\n", Map.of()));
        // explicit control
        assertEquals("ab", render("a   {{- 'b' -}}   \n", Map.of()));
        assertEquals("a\n  b", render("a\n  {%+ if true %}b{% endif %}", Map.of()));
        // comments vanish, with trim_blocks
        assertEquals("ab", render("a{# note #}\nb", Map.of()));
    }

    @Test
    void expressionsFiltersAndTests() {
        Map<String, Object> vars = Map.of("xs", List.of(3L, 1L, 2L), "m", Map.of("role", "user", "n", 2L), "s", " Hi ");
        assertEquals("3,1,2|2|1|3", render("{{ xs|join(',') }}|{{ xs[-1] }}|{{ xs[1:2]|first }}|{{ xs|length }}", vars));
        assertEquals("2,1,3", render("{{ xs[::-1]|join(',') }}", vars));
        assertEquals("user user", render("{{ m.role }} {{ m['role'] }}", vars));
        assertEquals("yes", render("{% if m.missing is not defined and m.role is string and 'us' in m.role %}yes{% endif %}", vars));
        assertEquals("Hi|hi |HI", render("{{ s|trim }}|{{ s.lstrip()|lower }}|{{ s.strip().upper() }}", vars));
        assertEquals("{\"a\": 1, \"b\": [true, null, \"x,y\"]}", render("{{ d|tojson }}",
                Map.of("d", Jinja.fromJson(DataFiles.JSON.createObjectNode().put("a", 1)
                        .set("b", DataFiles.JSON.createArrayNode().add(true).addNull().add("x,y"))))));
        assertEquals("0:a,1:b,", render("{% for x in ['a','b'] %}{{ loop.index0 }}:{{ x }},{% endfor %}", vars));
        assertEquals("7", render("{{ 1 + 2 * 3 }}", vars));
        assertEquals("ab", render("{{ 'a' ~ 'b' if true else 'c' }}", vars));
        assertEquals("2", render("{% set ns = namespace(k=0) %}{% for x in xs if x > 1 %}{% set ns.k = ns.k + 1 %}{% endfor %}{{ ns.k }}", vars));
        // a plain set inside a loop does not leak out of it
        assertEquals("0", render("{% set k = 0 %}{% for x in xs %}{% set k = k + 1 %}{% endfor %}{{ k }}", vars));
        assertEquals("a", render("{% for x in ['a', 'b'] %}{{ x }}{% break %}{% endfor %}", vars));
        assertEquals("None True", render("{{ none }} {{ true }}", vars));
    }

    @Test
    void templateRefusalsAndUnsupportedConstructsAreClearErrors() {
        ChatTemplate alternate = ChatTemplate.of("{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "{{ m['content'] }}{% endfor %}", Map.of());
        JloraException e = assertThrows(JloraException.class,
                () -> alternate.render(List.of(Map.of("role", "assistant", "content", "x")), false));
        assertTrue(e.getMessage().contains("roles must alternate"), e.getMessage());

        JloraException macro = assertThrows(JloraException.class,
                () -> ChatTemplate.of("line one\n{% macro f(x) %}{{ x }}{% endmacro %}", Map.of()));
        assertTrue(macro.getMessage().contains("macro") && macro.getMessage().contains("line 2"), macro.getMessage());

        JloraException filter = assertThrows(JloraException.class,
                () -> ChatTemplate.of("{{ messages|wordwrap }}", Map.of()).render(CHAT, false));
        assertTrue(filter.getMessage().contains("wordwrap"), filter.getMessage());
    }
}
