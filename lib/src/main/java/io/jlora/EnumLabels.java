package io.jlora;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Finds an enum's constant by the text a file or an option names it with (a {@code model_type}, a
 * {@code --quantization} value, a safetensors dtype), and lists those texts for error messages.
 * What an unknown text means (null, a default, an error naming the option) stays with the caller.
 */
public final class EnumLabels {

    private EnumLabels() {}

    /** The constant of {@code type} whose {@code label} equals {@code text} exactly, if any. */
    public static <E extends Enum<E>> Optional<E> find(Class<E> type, Function<E, String> label, String text) {
        return find(type, label, text, String::equals);
    }

    /** The constant of {@code type} whose {@code label} equals {@code text} ignoring case, if any. */
    public static <E extends Enum<E>> Optional<E> findIgnoringCase(Class<E> type, Function<E, String> label, String text) {
        return find(type, label, text, String::equalsIgnoreCase);
    }

    /** Every constant's label in declaration order, comma-separated: "a, b, c". */
    public static <E extends Enum<E>> String list(Class<E> type, Function<E, String> label) {
        return Arrays.stream(type.getEnumConstants()).map(label).collect(Collectors.joining(", "));
    }

    private static <E extends Enum<E>> Optional<E> find(Class<E> type, Function<E, String> label, String text,
            BiPredicate<String, String> same) {
        return Arrays.stream(type.getEnumConstants()).filter(e -> same.test(label.apply(e), text)).findFirst();
    }
}
