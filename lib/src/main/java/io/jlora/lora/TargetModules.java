package io.jlora.lora;

import io.jlora.JloraException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which linear layers an adapter targets, in PEFT's three forms: {@code "all-linear"} (every linear
 * layer but the output head), a list of names (each matches a module path equal to it or ending in
 * {@code "." + name}), or a regular expression (which must match the whole path). Matching itself
 * lives in {@link TargetMatcher}.
 */
public sealed interface TargetModules {

    /** PEFT's shorthand, written this way in adapter_config.json and on the command line. */
    String ALL_LINEAR = "all-linear";

    /** Every linear layer except {@code lm_head}. */
    record AllLinear() implements TargetModules {
        @Override
        public String toString() {
            return ALL_LINEAR;
        }
    }

    /** Names matched as suffixes of the module path (PEFT's list/set form). */
    record Names(List<String> names) implements TargetModules {
        public Names {
            if (names.isEmpty() || names.stream().anyMatch(n -> n == null || n.isBlank())) {
                throw new JloraException("target_modules: the list of names is empty or holds an empty name: " + names);
            }
            names = List.copyOf(names);
        }

        @Override
        public String toString() {
            return String.join(",", names);
        }
    }

    /** A regular expression that must match the whole module path (PEFT's str form). */
    record Regex(String pattern) implements TargetModules {
        public Regex {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new JloraException("target_modules: '" + pattern + "' is not a valid regular expression: "
                        + e.getDescription());
            }
        }

        @Override
        public String toString() {
            return pattern;
        }
    }

    static TargetModules allLinear() {
        return new AllLinear();
    }

    static TargetModules names(String... names) {
        return new Names(List.of(names));
    }

    static TargetModules names(List<String> names) {
        return new Names(names);
    }

    static TargetModules regex(String pattern) {
        return new Regex(pattern);
    }

    /**
     * Parses the command-line form: {@code all-linear} (any case, as PEFT), a string holding regular
     * expression syntax ({@code * + ? ( ) [ ] { } | ^ $ \}) is a regex, anything else is a comma
     * list of names ({@code q_proj,v_proj}; a single name is a list of one).
     */
    static TargetModules parse(String text) {
        String s = text == null ? "" : text.trim();
        if (s.isEmpty()) {
            throw new JloraException("target_modules is empty; use all-linear, a comma list of names or a regex");
        }
        if (s.equalsIgnoreCase(ALL_LINEAR)) {
            return allLinear();
        }
        if (s.chars().anyMatch(c -> "*+?()[]{}|^$\\".indexOf(c) >= 0)) {
            return regex(s);
        }
        List<String> names = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                names.add(part.trim());
            }
        }
        return new Names(names);
    }
}
