package io.jlora.magics.commands;

import io.jlora.lora.Adapters;
import io.jlora.lora.LoraAdapter;
import io.jlora.magics.CommandResult;
import io.jlora.magics.Html;
import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The adapters on the model: names, which are active, rank, alpha, modules and trainable size. */
record AdapterSummary(String headline, Adapters adapters) implements CommandResult {
    @Override
    public String toString() {
        return text();
    }

    @Override
    public String text() {
        StringBuilder text = new StringBuilder(headline);
        for (LoraAdapter a : adapters.list()) text.append('\n').append(line(a));
        if (adapters.list().isEmpty()) text.append("\nno adapters");
        return text.toString();
    }

    private String line(LoraAdapter a) {
        String state = adapters.active().contains(a.name()) ? (adapters.disabled() ? "active, disabled" : "active") : "inactive";
        return String.format("  %s (%s): r=%d alpha=%s%s%s, %d modules, %,d trainable parameters", a.name(), state,
                a.config().r(), trim(a.config().loraAlpha()), a.config().useRslora() ? " rslora" : "",
                a.config().useDora() ? " dora" : "", a.modules().size(), trainable(a.name()));
    }

    long trainable(String name) {
        long n = 0;
        for (NDArray p : adapters.parameters(name).values()) n += p.size();
        return n;
    }

    @Override
    public String html() {
        List<String[]> rows = new ArrayList<>();
        for (LoraAdapter a : adapters.list()) rows.add(new String[] {a.name(), line(a).strip().substring(a.name().length()).strip()});
        if (rows.isEmpty()) rows.add(new String[] {"", "no adapters"});
        return Html.table(headline, rows.toArray(String[][]::new));
    }

    @Override
    public Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        List<Map<String, Object>> list = new ArrayList<>();
        for (LoraAdapter a : adapters.list()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("name", a.name());
            one.put("active", adapters.active().contains(a.name()));
            one.put("r", a.config().r());
            one.put("lora_alpha", a.config().loraAlpha());
            one.put("use_rslora", a.config().useRslora());
            one.put("use_dora", a.config().useDora());
            one.put("modules", a.modules().size());
            one.put("trainable_parameters", trainable(a.name()));
            list.add(one);
        }
        j.put("adapters", list);
        j.put("active", adapters.active());
        j.put("disabled", adapters.disabled());
        j.put("merged", adapters.merged());
        return j;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
