package io.jlora.data.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
