package io.jlora.kernel.magic;

/**
 * How other modules plug magics into the kernel: listed in
 * {@code META-INF/services/io.jlora.kernel.magic.MagicProvider} and found with {@link java.util.ServiceLoader}.
 */
public interface MagicProvider {
    void register(MagicRegistry registry);

    /** Import lines every cell should start with, e.g. {@code import io.jlora.Lora;}. */
    default java.util.List<String> imports() {
        return java.util.List.of();
    }
}
