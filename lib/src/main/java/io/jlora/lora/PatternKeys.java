package io.jlora.lora;

import io.jlora.JloraException;
import java.util.Collection;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PEFT's {@code get_pattern_key}: which key of {@code rank_pattern}/{@code alpha_pattern} applies to
 * a module path. A key applies when the path is {@code (anything ".")? key} with the key read as a
 * regular expression, so {@code "q_proj"} applies to every q_proj, {@code "layers.0.self_attn.q_proj"}
 * to one, and {@code "layers\\.[01]\\..*"} to two layers. The first key in the map's order wins, as in
 * PEFT (a dict keeps insertion order).
 */
final class PatternKeys {

    private PatternKeys() {}

    /** The first key that applies to {@code modulePath}, or null. */
    static String find(Collection<String> keys, String modulePath) {
        for (String key : keys) {
            if (compile(key).matcher(modulePath).matches()) {
                return key;
            }
        }
        return null;
    }

    private static Pattern compile(String key) {
        try {
            return Pattern.compile("(.*\\.)?(" + key + ")");
        } catch (PatternSyntaxException e) {
            throw new JloraException("rank_pattern/alpha_pattern key '" + key + "' is not a valid regular expression: "
                    + e.getDescription());
        }
    }
}
