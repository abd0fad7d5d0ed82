package io.jlora.testing;

import ai.djl.ndarray.NDArray;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Test resources and array comparisons shared by the test classes. */
public final class TestFiles {

    private TestFiles() {}

    /** A folder or file under src/test/resources, as copied to the test class path. */
    public static Path resource(String name) {
        URL url = TestFiles.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IllegalStateException("test resource missing: " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path golden(String name) {
        return resource("golden/" + name);
    }

    public static Path reference(String name) {
        return resource("reference/" + name);
    }

    /** Largest absolute difference between two arrays of the same shape. */
    public static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shapes differ: " + a.getShape() + " vs " + b.getShape());
        }
        float[] x = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        float[] y = b.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        return maxAbsDiff(x, y);
    }

    public static double maxAbsDiff(float[] x, float[] y) {
        if (x.length != y.length) {
            throw new AssertionError("lengths differ: " + x.length + " vs " + y.length);
        }
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs((double) x[i] - y[i]));
        }
        return max;
    }
}
