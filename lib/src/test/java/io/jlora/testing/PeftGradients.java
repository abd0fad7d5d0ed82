package io.jlora.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsFile;
import io.jlora.model.CausalLm;
import java.util.Map;

/** The checks that end the adapter-gradient tests: PEFT's reference gradients, and a frozen base. */
public final class PeftGradients {

    private PeftGradients() {}

    /**
     * After a backward pass: each adapter parameter's gradient equals PEFT's {@code grad.NAME} of
     * {@code cases} within 1e-5 of the reference's largest magnitude (which must not be zero), and
     * no base parameter of {@code lm} has a gradient. Closes the gradients it reads.
     */
    public static void assertOnlyAdaptersGetPeftsGradients(CausalLm lm, Map<String, NDArray> adapterParams,
            SafetensorsFile cases, String label) {
        try (NDManager m = lm.manager().newSubManager()) {
            for (Map.Entry<String, NDArray> e : adapterParams.entrySet()) {
                NDArray expected = cases.load("grad." + e.getKey(), m);
                NDArray grad = e.getValue().getGradient();
                double largest = expected.abs().max().getFloat();
                double diff = TestFiles.maxAbsDiff(grad, expected);
                grad.close();
                assertTrue(largest > 0 && diff <= 1e-5 * largest,
                        label + " " + e.getKey() + ": gradient off by " + diff + " (largest " + largest + ")");
            }
        }
        assertBaseFrozen(lm);
    }

    /** No base parameter of {@code lm} has a gradient: training reached only the adapters. */
    public static void assertBaseFrozen(CausalLm lm) {
        for (NDArray base : lm.decoder().parameters().values()) {
            assertFalse(base.hasGradient(), base.getName() + " is frozen");
        }
    }
}
