package io.jlora.data.jinja;

import io.jlora.data.jinja.Node.Control;
import io.jlora.data.jinja.Node.For;
import io.jlora.data.jinja.Node.Generation;
import io.jlora.data.jinja.Node.If;
import io.jlora.data.jinja.Node.Macro;
import io.jlora.data.jinja.Node.Output;
import io.jlora.data.jinja.Node.Set;
import io.jlora.data.jinja.Node.Text;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import static io.jlora.data.jinja.Py.asList;
import static io.jlora.data.jinja.Py.iterate;
import static io.jlora.data.jinja.Py.repr;
import static io.jlora.data.jinja.Py.str;
import static io.jlora.data.jinja.Py.truthy;

/** Runs a syntax tree into text, one instance per render (it counts the render's steps). */
final class Interpreter {
    private long steps;
    /** The render's own output; text written elsewhere (a block set) is not part of a generation span. */
    private StringBuilder root;
    private final List<int[]> generationSpans = new ArrayList<>();

    /** break / continue on their way to the loop. */
    static final class LoopControl extends RuntimeException {
        final boolean isBreak;

        LoopControl(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    String run(List<Node> body, Scope scope) {
        root = new StringBuilder();
        exec(body, scope, root);
        return root.toString();
    }

    /**
     * [start, end) offsets (Java chars, UTF-16) of the text that generation blocks wrote into the
     * render's output, in order; blocks inside a block set or a macro are not counted.
     */
    List<int[]> generationSpans() {
        return generationSpans;
    }

    /** Counts one step of the current render; throws when the render has gone on too long. */
    private void step(StringBuilder out, int line) {
        if (++steps > Limits.MAX_STEPS) {
            throw new TemplateException("template line " + line + ": rendering takes more than " + Limits.MAX_STEPS
                    + " steps; the template loops too much", false);
        }
        Limits.checkSize(out.length(), line);
    }

    private void exec(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node n : nodes) {
            step(out, 0);
            if (n instanceof Text t) {
                out.append(t.text());
            } else if (n instanceof Output o) {
                out.append(str(o.expr().eval(scope)));
            } else if (n instanceof If f) {
                boolean done = false;
                for (int k = 0; k < f.conditions().size() && !done; k++) {
                    if (truthy(f.conditions().get(k).eval(scope))) {
                        exec(f.branches().get(k), scope, out);
                        done = true;
                    }
                }
                if (!done) {
                    exec(f.otherwise(), scope, out);
                }
            } else if (n instanceof For f) {
                loop(f, scope, out);
            } else if (n instanceof Set s) {
                Object value;
                if (s.block() != null) {
                    StringBuilder sb = new StringBuilder();
                    exec(s.block(), scope, sb);
                    value = sb.toString();
                } else {
                    value = s.value().eval(scope);
                }
                if (s.attribute() == null) {
                    scope.vars.put(s.name(), value);
                } else {
                    Object target = scope.get(s.name());
                    if (!(target instanceof Namespace ns)) {
                        throw new TemplateException("cannot set '" + s.attribute() + "' on '" + s.name()
                                + "': only namespace() objects can be assigned to", false);
                    }
                    ns.put(s.attribute(), value);
                }
            } else if (n instanceof Generation g) {
                int start = out.length();
                exec(g.body(), scope, out);
                if (out == root) { // empty blocks too, as transformers' AssistantTracker
                    generationSpans.add(new int[] {start, out.length()});
                }
            } else if (n instanceof Macro m) {
                scope.vars.put(m.name(), macro(m, scope));
            } else if (n instanceof Control c) {
                throw new LoopControl(c.isBreak());
            }
        }
    }

    private void loop(For f, Scope scope, StringBuilder out) {
        List<Object> items = new ArrayList<>();
        for (Object o : iterate(f.iterable().eval(scope), f.line())) {
            if (f.filter() != null) {
                Scope probe = new Scope(scope);
                bind(probe, f.targets(), o, f.line());
                if (!truthy(f.filter().eval(probe))) {
                    continue;
                }
            }
            items.add(o);
        }
        if (items.isEmpty()) {
            exec(f.otherwise(), scope, out);
            return;
        }
        // the loop body has its own scope: a plain {% set %} inside does not leak out (Jinja's rule)
        for (int k = 0; k < items.size(); k++) {
            step(out, f.line());
            Scope inner = new Scope(scope);
            bind(inner, f.targets(), items.get(k), f.line());
            Map<String, Object> loopVar = new HashMap<>();
            loopVar.put("index0", (long) k);
            loopVar.put("index", (long) k + 1);
            loopVar.put("revindex0", (long) (items.size() - k - 1));
            loopVar.put("revindex", (long) (items.size() - k));
            loopVar.put("first", k == 0);
            loopVar.put("last", k == items.size() - 1);
            loopVar.put("length", (long) items.size());
            loopVar.put("previtem", k > 0 ? items.get(k - 1) : new Undefined("loop.previtem"));
            loopVar.put("nextitem", k + 1 < items.size() ? items.get(k + 1) : new Undefined("loop.nextitem"));
            int index = k;
            loopVar.put("cycle", (Access.Function) (args, line) -> args.positional().isEmpty() ? new Undefined("loop.cycle()")
                    : args.positional().get(index % args.positional().size()));
            loopVar.put("depth", 1L);
            loopVar.put("depth0", 0L);
            inner.vars.put("loop", loopVar);
            try {
                exec(f.body(), inner, out);
            } catch (LoopControl c) {
                if (c.isBreak) {
                    break;
                }
            }
        }
    }

    private static void bind(Scope scope, List<String> targets, Object item, int line) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), item);
            return;
        }
        List<Object> parts = asList(item);
        if (parts == null || parts.size() != targets.size()) {
            throw new TemplateException("template line " + line + ": cannot unpack " + repr(item) + " into "
                    + targets.size() + " names", false);
        }
        for (int k = 0; k < targets.size(); k++) {
            scope.vars.put(targets.get(k), parts.get(k));
        }
    }

    /** A macro as a function: its parameters bound in a scope under the one it was defined in. */
    private Access.Function macro(Macro m, Scope definedIn) {
        return (args, line) -> {
            Scope inner = new Scope(definedIn);
            for (int k = 0; k < m.params().size(); k++) {
                String p = m.params().get(k);
                Object value;
                if (k < args.positional().size()) {
                    value = args.positional().get(k);
                } else if (args.named().containsKey(p)) {
                    value = args.named().get(p);
                } else if (m.defaults().get(k) != null) {
                    value = m.defaults().get(k).eval(inner);
                } else {
                    value = new Undefined(p);
                }
                inner.vars.put(p, value);
            }
            StringBuilder sb = new StringBuilder();
            exec(m.body(), inner, sb);
            return sb.toString();
        };
    }
}
