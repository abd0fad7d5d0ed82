package io.jlora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {

    @Test
    void parsesTheOption() {
        assertEquals(Device.cpu(), DeviceChoice.parse("cpu"));
        assertEquals(Device.cpu(), DeviceChoice.parse(" CPU "));
        Device auto = DeviceChoice.parse("auto");
        assertEquals(Engine.getInstance().getGpuCount() > 0, auto.isGpu());
        assertEquals(auto, DeviceChoice.parse(null));
        if (Engine.getInstance().getGpuCount() == 0) {
            JloraException e = assertThrows(JloraException.class, () -> DeviceChoice.parse("gpu:0"));
            // one line saying what DJL lacks (its CUDA natives) and where the GPU trainer stands
            assertTrue(e.getMessage().startsWith("--device gpu:0: DJL's PyTorch engine sees no GPU: it needs libtorch's"
                    + " CUDA natives"), e.getMessage());
            assertTrue(e.getMessage().contains("train --device gpu") && !e.getMessage().contains("\n"), e.getMessage());
        } else {
            assertEquals(Device.gpu(0), DeviceChoice.parse("gpu:0"));
        }
        for (String bad : new String[] {"tpu", "gpu:x", "gpu:-1", ""}) {
            JloraException e = assertThrows(JloraException.class, () -> DeviceChoice.parse(bad));
            assertTrue(e.getMessage().contains("--device"), e.getMessage());
        }
    }

    @Test
    void defaultTypes() {
        assertEquals(DataType.FLOAT32, DeviceChoice.dtype("auto", Device.cpu()));
        assertEquals(DataType.FLOAT16, DeviceChoice.dtype("auto", Device.gpu()));
        assertEquals(DataType.FLOAT16, DeviceChoice.dtype("float16", Device.cpu()));
        assertEquals(DataType.FLOAT32, DeviceChoice.dtype("float32", Device.gpu()));
        assertTrue(assertThrows(JloraException.class, () -> DeviceChoice.dtype("bfloat16", Device.cpu()))
                .getMessage().contains("--dtype"));
    }
}
