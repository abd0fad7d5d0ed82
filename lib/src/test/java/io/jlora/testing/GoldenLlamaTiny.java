package io.jlora.testing;

import io.jlora.io.SafetensorsFile;
import io.jlora.model.CausalLm;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The shared llama-tiny golden (transformers' model, PEFT's adapters and their reference outputs in
 * {@code cases.safetensors}), loaded once per test class and closed after it. A test class holds
 * it as {@code @RegisterExtension static final GoldenLlamaTiny GOLDEN = new GoldenLlamaTiny();}.
 */
public final class GoldenLlamaTiny implements BeforeAllCallback, AfterAllCallback {

    /** The golden folder: {@code model/}, {@code adapter*}/, {@code merged/}, {@code cases.safetensors}. */
    public static final Path DIR = TestFiles.golden("llama-tiny");

    private CausalLm lm;
    private SafetensorsFile cases;

    @Override
    public void beforeAll(ExtensionContext context) {
        lm = CausalLm.load(DIR.resolve("model"), "cpu", "auto");
        cases = SafetensorsFile.open(DIR.resolve("cases.safetensors"));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        cases.close();
        lm.close();
    }

    /** The base model, on the CPU, as loaded for this test class. */
    public CausalLm lm() {
        return lm;
    }

    /** The reference inputs and outputs (input ids, logits, losses, gradients, greedy ids). */
    public SafetensorsFile cases() {
        return cases;
    }
}
