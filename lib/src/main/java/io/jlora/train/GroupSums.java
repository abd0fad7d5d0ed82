package io.jlora.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.jlora.JloraException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** What a data-parallel step sums over its group ({@link Trainer#distribute}): scalars, then gradients. */
final class GroupSums {

    private GroupSums() {}

    /**
     * Sums the step's loss, extras (in place) and stop requests over the group; returns {loss,
     * stops}. A stop asked of any member stops every member after this step.
     */
    static double[] lossAndStop(DataParallel group, double loss, boolean stop, Map<String, Double> extraSums) {
        List<String> keys = new ArrayList<>(new TreeSet<>(extraSums.keySet()));
        double[] values = new double[2 + keys.size()];
        values[0] = loss;
        values[1] = stop ? 1 : 0;
        for (int i = 0; i < keys.size(); i++) {
            values[2 + i] = extraSums.get(keys.get(i));
        }
        group.allReduceSum(values);
        for (int i = 0; i < keys.size(); i++) {
            extraSums.put(keys.get(i), values[2 + i]);
        }
        return new double[] {values[0], values[1]};
    }

    /** Replaces each gradient by its sum over the group (one flat float32 buffer, one collective). */
    static void gradients(DataParallel group, Map<String, NDArray> grads, NDManager scope) {
        long total = 0;
        for (NDArray g : grads.values()) {
            total += g.size();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new JloraException("data-parallel training of " + total + " trainable values: more than one buffer holds");
        }
        float[] flat = new float[(int) total];
        int at = 0;
        for (NDArray g : grads.values()) {
            float[] v = g.toType(DataType.FLOAT32, false).toFloatArray();
            System.arraycopy(v, 0, flat, at, v.length);
            at += v.length;
        }
        group.allReduceSum(flat);
        at = 0;
        for (Map.Entry<String, NDArray> e : grads.entrySet()) {
            NDArray g = e.getValue();
            int n = (int) g.size();
            NDArray sum = scope.create(java.util.Arrays.copyOfRange(flat, at, at + n), g.getShape());
            e.setValue(sum.getDataType() == g.getDataType() ? sum : sum.toType(g.getDataType(), false));
            at += n;
        }
    }
}
