package io.jlora.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.quant.FourBitType;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Host-side checks of the CUDA sources that must agree with the CPU path (no GPU needed). */
class KernelSourcesTest {

    @Test
    void nf4KernelUsesTheCpuPathsCodeTable() {
        String src = KernelCache.source("nf4_dequant.cu");
        Matcher block = Pattern.compile("NF4_LEVELS\\[16\\] = \\{([^}]*)\\}").matcher(src);
        assertTrue(block.find(), "NF4_LEVELS table not found");
        Matcher num = Pattern.compile("-?\\d+\\.\\d+").matcher(block.group(1));
        float[] levels = new float[16];
        int i = 0;
        while (num.find()) {
            levels[i++] = Float.parseFloat(num.group());
        }
        assertArrayEquals(FourBitType.NF4.code(), levels);
    }
}
