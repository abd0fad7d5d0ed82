package io.jlora.fuzz;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.jlora.data.ChatTemplate;
import io.jlora.model.tokenizer.HfTokenizer;
import io.jlora.testing.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * A tokenizer's chat template (chat_template.jinja beside tokenizer.json, as transformers saves
 * it) damaged and rendered as dataset tokenization does: real models' templates (Llama 3, Qwen
 * 2.5, Qwen 3) with text cut, repeated or spliced with hostile Jinja (very deep nesting, huge
 * ranges and repetitions, unknown filters, unclosed blocks, recursion through namespaces).
 */
class ChatTemplateFuzzTest {

    static final FuzzStats STATS = new FuzzStats("chat-template");
    private static final Path MODEL = Seeds.model();
    private static final List<String> TEMPLATES = List.of(
            Seeds.text(TestFiles.resource("chat-templates/llama3.jinja")),
            Seeds.text(TestFiles.resource("chat-templates/qwen2.5.jinja")),
            Seeds.text(TestFiles.resource("chat-templates/qwen3.jinja")),
            ChatTemplate.CHATML);
    private static final String[] SNIPPETS = {
        "{{ " + "(".repeat(20_000) + "1" + ")".repeat(20_000) + " }}",
        "{{ " + "[".repeat(20_000) + "]".repeat(20_000) + " }}",
        "{{ " + "-".repeat(50_000) + "1 }}",
        "{{ " + "not ".repeat(50_000) + "x }}",
        "{{ x" + ".a".repeat(50_000) + " }}",
        "{{ x" + "|trim".repeat(50_000) + " }}",
        "{% if x %}".repeat(20_000) + "{% endif %}".repeat(20_000),
        "{% for i in range(100000000000) %}{{ i }}{% endfor %}",
        "{% for i in range(2147483647) %}{% endfor %}",
        "{% for i in range(1, 10, 0) %}{% endfor %}",
        "{{ 'x' * 10000000000 }}", "{{ [1] * 10000000000 }}", "{{ 'ab' * -3 }}",
        "{{ 99999999999999999999999 }}", "{{ 1 / 0 }}", "{{ 1 // 0 }}", "{{ 1 % 0 }}", "{{ 2 ** 100000 }}",
        "{{ messages[10000000000] }}", "{{ messages[-99] }}", "{{ messages[::0] }}", "{{ 'abc'[5:1:-1] }}",
        "{% set ns = namespace(a=1) %}{% set ns.a = ns %}{{ ns|tojson }}", "{% set l = [] %}{{ l.append(l) }}{{ l|tojson }}",
        "{{ raise_exception('no') }}", "{{ strftime_now('%Q%') }}", "{{ messages|tojson(indent=-5) }}",
        "{% macro m() %}{% endmacro %}", "{% include 'x' %}", "{{ x|nosuchfilter }}", "{% for %}", "{% endfor %}",
        "{{", "}}", "{%", "{#", "{{ '\\u0000\\x }}", "{{ \"unterminated }}", "{{ 1 if }}", "{{ x is nosuchtest }}",
        "{{ messages|map(attribute='role')|join(', ') }}", "{{ messages|selectattr('role', 'equalto', 'user')|list }}",
        "{{ (messages|last).content.split(' ')|reverse|list }}", "{{ messages[0].content|replace('', 'x') }}",
        "{{ loop.index }}", "{% break %}", "{{ x.__class__ }}", "{{ 1e999 }}", "{{ -1e999 }}", "{{ 0.1 + 'a' }}",
        "{{ {'a': 1}['b'] }}", "{{ none.x }}", "{{ messages|length > 'a' }}", "{{ '%s' % 1 }}", "{{ 'x'|center(2147483647) }}",
    };

    @Property
    void damagedTemplateRendersOrIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        String template = TEMPLATES.get(r.nextInt(TEMPLATES.size()));
        int edits = 1 + r.nextInt(3);
        for (int k = 0; k < edits; k++) {
            template = edit(template, r);
        }
        Path dir = Scratch.newFolder();
        Scratch.link(dir.resolve("tokenizer.json"), MODEL.resolve("tokenizer.json"));
        Scratch.link(dir.resolve("tokenizer_config.json"), MODEL.resolve("tokenizer_config.json"));
        Scratch.write(dir.resolve("chat_template.jinja"), template.getBytes(StandardCharsets.UTF_8));
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        String[] roles = {"system", "user", "assistant", "tool", "user"};
        for (int i = 0; i < r.nextInt(5); i++) {
            messages.addObject().put("role", roles[r.nextInt(roles.length)]).put("content", "turn " + i);
        }
        boolean generationPrompt = r.nextBoolean();
        Verdict v = Guard.run(dir, () -> {
            try (HfTokenizer tok = HfTokenizer.load(dir)) {
                return ChatTemplate.of(tok).render(messages, generationPrompt);
            }
        });
        STATS.record(v, "seed " + seed);
        Scratch.delete(dir);
    }

    private static String edit(String t, Random r) {
        int at = t.isEmpty() ? 0 : r.nextInt(t.length());
        switch (r.nextInt(5)) {
            case 0:
                return t.substring(0, at); // cut
            case 1: {
                int end = Math.min(t.length(), at + 1 + r.nextInt(40));
                return t.substring(0, at) + t.substring(end); // a piece removed
            }
            case 2: {
                int end = Math.min(t.length(), at + 1 + r.nextInt(80));
                return t.substring(0, end) + t.substring(at, end) + t.substring(end); // a piece repeated
            }
            default: {
                String s = SNIPPETS[r.nextInt(SNIPPETS.length)];
                return t.substring(0, at) + s + t.substring(at); // hostile Jinja spliced in
            }
        }
    }

    @AfterContainer
    static void report() {
        STATS.publish();
    }
}
