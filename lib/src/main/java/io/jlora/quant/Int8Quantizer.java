package io.jlora.quant;

import java.nio.FloatBuffer;

/**
 * Row-wise absmax int8 quantization of a weight [rows, cols], as bitsandbytes'
 * {@code int8_vectorwise_quant}: {@code code = round(w * 127 / absmax(row))}, rounding half to
 * even as torch.round does. Rows arrive in chunks of whole rows ({@link #accept}).
 */
public final class Int8Quantizer {

    private final int rows;
    private final int cols;
    private final byte[] codes;
    private final float[] rowAbsmax;
    private int receivedRows;

    public Int8Quantizer(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.codes = new byte[Math.multiplyExact(rows, cols)];
        this.rowAbsmax = new float[rows];
    }

    public static PackedInt8 quantize(float[] values, int rows, int cols) {
        Int8Quantizer q = new Int8Quantizer(rows, cols);
        q.accept(FloatBuffer.wrap(values));
        return q.finish();
    }

    /** Whole rows, from the buffer's position to its limit (absolute reads). */
    public void accept(FloatBuffer chunk) {
        int length = chunk.remaining();
        if (length % cols != 0 || receivedRows + length / cols > rows) {
            throw new IllegalArgumentException(length + " values are not whole rows of " + cols + " within " + rows);
        }
        int base = chunk.position();
        for (int r = 0; r < length / cols; r++) {
            int start = base + r * cols;
            int row = receivedRows + r;
            float max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(chunk.get(start + c)));
            }
            rowAbsmax[row] = max;
            // an all-zero row stays zero instead of dividing by zero
            float inverse = max == 0 ? 0 : 127f / max;
            for (int c = 0; c < cols; c++) {
                codes[row * cols + c] = (byte) Math.rint(chunk.get(start + c) * inverse);
            }
        }
        receivedRows += length / cols;
    }

    public PackedInt8 finish() {
        if (receivedRows != rows) {
            throw new IllegalStateException("received " + receivedRows + " of " + rows + " rows");
        }
        return new PackedInt8(rows, cols, codes, rowAbsmax);
    }
}
