package io.jlora.data.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Jinja's own rules as transformers configures them (trim_blocks, lstrip_blocks, whitespace control, scoping, filters, tests). */
class TemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String render(String source, Map<String, Object> vars) {
        return Template.parse(source).render(vars);
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
                Map.of("d", Template.fromJson(JSON.createObjectNode().put("a", 1)
                        .set("b", JSON.createArrayNode().add(true).addNull().add("x,y"))))));
        assertEquals("0:a,1:b,", render("{% for x in ['a','b'] %}{{ loop.index0 }}:{{ x }},{% endfor %}", vars));
        assertEquals("7", render("{{ 1 + 2 * 3 }}", vars));
        assertEquals("ab", render("{{ 'a' ~ 'b' if true else 'c' }}", vars));
        assertEquals("2", render("{% set ns = namespace(k=0) %}{% for x in xs if x > 1 %}{% set ns.k = ns.k + 1 %}{% endfor %}{{ ns.k }}", vars));
        // a plain set inside a loop does not leak out of it
        assertEquals("0", render("{% set k = 0 %}{% for x in xs %}{% set k = k + 1 %}{% endfor %}{{ k }}", vars));
        assertEquals("a", render("{% for x in ['a', 'b'] %}{{ x }}{% break %}{% endfor %}", vars));
        assertEquals("None True", render("{{ none }} {{ true }}", vars));
    }

    /** Python's str.isspace set, not Java's Character.isWhitespace (which leaves out U+00A0, U+202F, U+2007). */
    @Test
    void whitespaceIsPythons() {
        Map<String, Object> vars = Map.of("s", "\u00a0\u3000 x\u202f\u2007\u0085", "t", "a\u00a0b\u200bc\u001cd");
        assertEquals("[x]", render("[{{ s.strip() }}]", vars));
        assertEquals("[x]", render("[{{ s|trim }}]", vars));
        assertEquals("['a', 'b\\u200bc', 'd']", render("{{ t.split() }}", vars)); // U+200B is no space; repr escapes it
        assertEquals("a\u00a0|b", render("a {{- '\u00a0' }}\u00a0 {{- '' -}} \u3000|b", vars));
    }

    /** json.dumps(ensure_ascii=False) as transformers' tojson: Python's float repr, separators, sort_keys. */
    @Test
    void tojsonIsJsonDumps() {
        Map<String, Object> vars = Map.of("d", Template.value(Map.of("x", List.of(1e-05, 1e16, 0.1, 2.0, 100L, -0.0, 1.5e300,
                123456789.125, 5e-324, 1e22, 0.30000000000000004))));
        assertEquals("{\"x\": [1e-05, 1e+16, 0.1, 2.0, 100, -0.0, 1.5e+300, 123456789.125, 5e-324, 1e+22,"
                + " 0.30000000000000004]}", render("{{ d|tojson }}", vars));
        String indented = render("{{ d|tojson(indent=2) }}", vars);
        assertTrue(indented.startsWith("{\n  \"x\": [\n    1e-05,\n    1e+16,"), indented);
        assertEquals("{\"a\":1,\"b\":\"é\"}", render("{{ {'b': 'é', 'a': 1}|tojson(separators=(',', ':'), sort_keys=true) }}", vars));
        assertEquals("1e-05 1e+16 0.1 [1.0, 2.5]", render("{{ 0.00001 }} {{ 1e16 }} {{ 0.1 }} {{ [1.0, 2.5] }}", vars));
    }

    @Test
    void generationBlocksGiveTheirSpans() {
        Template t = Template.parse("{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}{% generation %}"
                + "{{ m.content }}!{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}");
        Template.Rendered r = t.renderWithSpans(Map.of("messages", Template.value(List.of(Map.of("role", "user", "content", "hi"),
                Map.of("role", "assistant", "content", "yo"), Map.of("role", "assistant", "content", "ok")))));
        assertEquals("<user>hi<assistant>yo!<assistant>ok!", r.text());
        assertEquals(2, r.generationSpans().size());
        assertEquals("yo!", r.text().substring(r.generationSpans().get(0)[0], r.generationSpans().get(0)[1]));
        assertEquals("ok!", r.text().substring(r.generationSpans().get(1)[0], r.generationSpans().get(1)[1]));
    }

    @Test
    void pythonStringMethodsAndOperators() {
        Map<String, Object> vars = Map.of("s", "they're bill's friends", "n", 3L);
        assertEquals("They'Re Bill'S Friends|They're bill's friends|They're Bill's Friends",
                render("{{ s.title() }}|{{ s.capitalize() }}|{{ s|title }}", vars));
        assertEquals("3-x n=3 1024 -4 4", render("{{ '{}-{}'.format(n, 'x') }} {{ 'n=%d' % n }} {{ 2 ** 10 }} {{ -7 // 2 }} {{ -2|abs * 2 }}", vars));
        assertEquals("['a b', 'c']", render("{{ 'a b c'.rsplit(' ', 1) }}", vars));
        assertEquals("[\"it's\", 'a\\nb']", render("{{ [\"it's\", 'a\\nb'] }}", vars));
    }

    @Test
    void macros() {
        assertEquals("<a:1><b:2>", render("{% macro tag(name, n=1) %}<{{ name }}:{{ n }}>{% endmacro %}{{ tag('a') }}{{ tag('b', n=2) }}",
                Map.of()));
    }
}
