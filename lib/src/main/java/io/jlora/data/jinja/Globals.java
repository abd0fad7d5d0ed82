package io.jlora.data.jinja;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import static io.jlora.data.jinja.Py.str;

/** The globals transformers gives templates: raise_exception, strftime_now; and Jinja's namespace, range. */
final class Globals {
    private Globals() {}

    static Object global(String name) {
        return switch (name) {
            case "raise_exception" -> (Access.Function) (a, line) -> {
                throw new TemplateException(str(a.arg(0, "message", "")), true);
            };
            case "namespace" -> (Access.Function) (a, line) -> {
                Namespace ns = new Namespace();
                ns.putAll(a.named());
                return ns;
            };
            case "range" -> (Access.Function) (a, line) -> {
                long start = 0;
                long stop;
                long step = 1;
                if (a.positional().size() == 1) {
                    stop = (Long) a.positional().get(0);
                } else {
                    start = (Long) a.positional().get(0);
                    stop = (Long) a.positional().get(1);
                    if (a.positional().size() > 2) {
                        step = (Long) a.positional().get(2);
                    }
                }
                if (step == 0) {
                    throw new TemplateException("template line " + line + ": range() step cannot be zero", false);
                }
                // computed before the list is built, so that range(10**12) fails at once
                double count = Math.max(0, Math.ceil(((double) stop - start) / step));
                Limits.checkSize(count > Limits.MAX_SIZE ? Limits.MAX_SIZE + 1 : (long) count, line);
                List<Object> out = new ArrayList<>();
                for (long k = start; step > 0 ? k < stop : k > stop; k += step) {
                    out.add(k);
                }
                return out;
            };
            case "strftime_now" -> (Access.Function) (a, line) -> Strftime.format(str(a.arg(0, "format", "")), LocalDateTime.now());
            default -> null;
        };
    }
}
