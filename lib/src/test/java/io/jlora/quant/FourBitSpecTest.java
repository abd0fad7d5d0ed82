package io.jlora.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlora.JloraException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FourBitSpecTest {

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 128, 256, 512, 1024, 2048, 4096})
    void bitsandbytesBlockSizesAreAccepted(int size) {
        assertEquals(size, new FourBitSpec(FourBitType.NF4, size, false).blockSize());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -64, 16, 31, 48, 100, 8192})
    void otherBlockSizesFailWithAMessageThatSaysWhatIsAllowed(int size) {
        JloraException e = assertThrows(JloraException.class, () -> new FourBitSpec(FourBitType.NF4, size, true));
        assertTrue(e.getMessage().contains("block size " + size), e.getMessage());
        assertTrue(e.getMessage().contains("power of two from 32 to 4096"), e.getMessage());
        assertThrows(JloraException.class, () -> new QuantizingLinearFactory(Quantization.INT4, size));
    }

    @Test
    void qloraIsNf4DoubleQuantizedInBlocksOf64() {
        FourBitSpec q = Quantization.parse("int4").fourBitSpec(64);
        assertEquals(FourBitSpec.qlora(), q);
        // 4 bits + 8/64 + 32/(64*256): the QLoRA paper's 4.127 bits per parameter
        assertEquals(4.127, q.bitsPerWeight(), 1e-3);
        assertEquals(4.5, Quantization.NF4.fourBitSpec(64).bitsPerWeight(), 1e-9);
    }

    @Test
    void quantizationOptionNamesAndErrors() {
        assertEquals(Quantization.NONE, Quantization.parse(null));
        assertEquals(Quantization.INT8, Quantization.parse("INT8"));
        assertEquals(FourBitType.FP4, Quantization.parse("fp4").fourBitSpec(64).type());
        JloraException e = assertThrows(JloraException.class, () -> Quantization.parse("int3"));
        assertTrue(e.getMessage().contains("'int3'") && e.getMessage().contains("int4"), e.getMessage());
    }
}
