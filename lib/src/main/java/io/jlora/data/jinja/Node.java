package io.jlora.data.jinja;

import java.util.List;

/** The syntax tree of a template: what the {@link Parser} makes and the {@link Interpreter} runs. */
sealed interface Node {

    /** Literal text, after the whitespace rules. */
    record Text(String text) implements Node {}

    /** {@code {{ expr }}}. */
    record Output(Expr expr) implements Node {}

    /** {@code if / elif / else}: the first branch whose condition is true, else {@code otherwise}. */
    record If(List<Expr> conditions, List<List<Node>> branches, List<Node> otherwise) implements Node {}

    /** {@code for targets in iterable if filter} with its {@code else} (run when nothing is looped over). */
    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise, int line)
            implements Node {}

    /** {@code set name = value}, {@code set ns.attribute = value} or a block set (value null, block given). */
    record Set(String name, String attribute, Expr value, List<Node> block) implements Node {}

    /** {@code break} or {@code continue}. */
    record Control(boolean isBreak) implements Node {}

    /** transformers' {@code generation} block: marks the assistant's text (return_assistant_tokens_mask). */
    record Generation(List<Node> body) implements Node {}

    /** {@code macro name(params, with=defaults)}: defines a function that renders its body; defaults null where none. */
    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node {}
}
