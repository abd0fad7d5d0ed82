/**
 * jlora's Jinja interpreter for chat templates, with Python's jinja2 semantics as transformers
 * configures it ({@code trim_blocks}, {@code lstrip_blocks}, {@code raise_exception},
 * {@code strftime_now}, the {@code generation} block): {@link io.jlora.data.jinja.Lexer} (source to
 * tokens, whitespace rules), {@link io.jlora.data.jinja.Parser} and
 * {@link io.jlora.data.jinja.ExpressionParser} (tokens to {@link io.jlora.data.jinja.Node}s and
 * {@link io.jlora.data.jinja.Expr} closures), {@link io.jlora.data.jinja.Interpreter} (nodes to
 * text), {@link io.jlora.data.jinja.Py} and {@link io.jlora.data.jinja.PyStrings} (Python's value
 * and string semantics), and the builtins ({@link io.jlora.data.jinja.Globals},
 * {@link io.jlora.data.jinja.Methods}, {@link io.jlora.data.jinja.Filters},
 * {@link io.jlora.data.jinja.Tests}, {@link io.jlora.data.jinja.Json}). The entry point is
 * {@link io.jlora.data.jinja.Template}. Anything outside the subset (includes, imports, unknown
 * filters, tests or methods) fails with a {@link io.jlora.data.jinja.TemplateException} naming the
 * construct and the template line, never silently.
 */
package io.jlora.data.jinja;
