package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected strings are what CPython 3 prints for repr(x). */
class PythonFloatTest {

    @ParameterizedTest
    @CsvSource({"0.1, 0.1", "1.0, 1.0", "100.0, 100.0", "0.0001, 0.0001", "0.00001, 1e-05", "0.000015, 1.5e-05",
        "1e16, 1e+16", "123456789012345.6, 123456789012345.6", "-2.5, -2.5", "0.0, 0.0"})
    void matchesCpythonRepr(double x, String python) {
        assertEquals(python, PythonFloat.repr(x));
    }

    @org.junit.jupiter.api.Test
    void float32ValuesPrintAsTheirDoubles() {
        // torch's tensor(0.0123, float32).item() in Python
        assertEquals("0.012299999594688416", PythonFloat.repr((double) 0.0123f));
    }
}
