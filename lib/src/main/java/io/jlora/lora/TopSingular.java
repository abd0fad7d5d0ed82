package io.jlora.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.jlora.JloraException;
import java.util.SplittableRandom;

/**
 * The r largest singular triplets of a matrix, for PiSSA. DJL exposes no SVD, so the large products
 * run in torch (float64 matmuls) and only r-by-r or n-by-n symmetric eigenproblems run here, with
 * cyclic Jacobi rotations (simple and accurate to float64 rounding).
 *
 * <ul>
 *   <li>exact ({@code iterations == 0}) when the smaller side n is at most {@link #EXACT_LIMIT}:
 *       eigenvectors of the n-by-n Gram matrix give one side, a product gives the other;
 *   <li>otherwise subspace iteration (Halko et al.; torch's {@code svd_lowrank}, PEFT's
 *       {@code pissa_niter_N}) with {@code iterations} power steps, or until the top r values
 *       settle when an exact answer was asked of a large matrix.
 * </ul>
 * Singular vectors are defined up to a joint sign; PiSSA only uses the products u s v^T, which are not.
 */
final class TopSingular {

    /** Largest smaller-side size decomposed exactly (3 n^3 flops a Jacobi sweep). */
    static final int EXACT_LIMIT = 512;
    private static final int MAX_ITERATIONS = 300;

    /**
     * @param sigma the r largest singular values, descending
     * @param left [out, r] row-major: column i is u_i
     * @param right [r, in] row-major: row i is v_i^T
     */
    record Result(double[] sigma, double[] left, double[] right, int out, int in) {}

    private TopSingular() {}

    static Result compute(NDArray w, int r, int iterations, long seed) {
        return compute(w, r, iterations, seed, EXACT_LIMIT);
    }

    /** As {@link #compute(NDArray, int, int, long)} with another size limit for the exact path (tests). */
    static Result compute(NDArray w, int r, int iterations, long seed, int exactLimit) {
        long[] shape = w.getShape().getShape();
        int out = Math.toIntExact(shape[0]);
        int in = Math.toIntExact(shape[1]);
        if (r > Math.min(out, in)) {
            throw new JloraException("PiSSA: rank " + r + " exceeds the smaller side of a " + out + "x" + in + " weight");
        }
        try (NDManager m = w.getManager().newSubManager()) {
            NDArray w64 = ManagedArrays.own(m, w.stopGradient()).toType(DataType.FLOAT64, true);
            if (iterations == 0 && Math.min(out, in) <= exactLimit) {
                return exact(m, w64, r, out, in);
            }
            return iterative(m, w64, r, iterations, seed, out, in);
        }
    }

    private static Result exact(NDManager m, NDArray w64, int r, int out, int in) {
        boolean wide = out <= in;
        NDArray gram = wide ? w64.matMul(w64.transpose()) : w64.transpose().matMul(w64);
        int n = wide ? out : in;
        Eigen eig = Eigen.symmetric(gram.toDoubleArray(), n);
        // vectors of the Gram matrix are one side; W or W^T times them, over sigma, the other
        double[] sigma = new double[r];
        double[] vecs = new double[n * r];
        for (int i = 0; i < r; i++) {
            int j = eig.order[i];
            sigma[i] = Math.sqrt(Math.max(eig.values[j], 0));
            for (int k = 0; k < n; k++) {
                vecs[k * r + i] = eig.vectors[k * n + j];
            }
        }
        NDArray side = m.create(vecs, new Shape(n, r));
        NDArray other = (wide ? w64.transpose() : w64).matMul(side).div(m.create(sigma).reshape(1, r));
        double[] otherValues = other.toDoubleArray();
        int otherN = wide ? in : out;
        return wide
                ? new Result(sigma, vecs, transpose(otherValues, otherN, r), out, in)
                : new Result(sigma, otherValues, transpose(vecs, n, r), out, in);
    }

    private static Result iterative(NDManager m, NDArray w64, int r, int iterations, long seed, int out, int in) {
        boolean untilSettled = iterations == 0;
        int k = untilSettled ? Math.min(Math.min(out, in), 2 * r + 8) : r;
        SplittableRandom random = new SplittableRandom(seed);
        double[] omega = new double[in * k];
        for (int i = 0; i < omega.length; i++) {
            omega[i] = random.nextGaussian();
        }
        NDArray wt = w64.transpose();
        NDArray q = orthonormal(w64.matMul(m.create(omega, new Shape(in, k))));
        double[] previous = null;
        int steps = untilSettled ? MAX_ITERATIONS : iterations;
        for (int it = 0; it < steps; it++) {
            q = orthonormal(w64.matMul(orthonormal(wt.matMul(q))));
            if (untilSettled) {
                double[] now = smallSvd(q.transpose().matMul(w64), k).sigma;
                if (previous != null && settled(previous, now, r)) {
                    break;
                }
                previous = now;
            }
        }
        // W ~ Q (Q^T W): the SVD of the small k x in matrix gives the triplets
        NDArray small = q.transpose().matMul(w64);
        SmallSvd s = smallSvd(small, k);
        double[] sigma = new double[r];
        double[] ub = new double[k * r];
        for (int i = 0; i < r; i++) {
            sigma[i] = s.sigma[i];
            for (int row = 0; row < k; row++) {
                ub[row * r + i] = s.u[row * k + i];
            }
        }
        NDArray ubArray = m.create(ub, new Shape(k, r));
        double[] left = q.matMul(ubArray).toDoubleArray();
        double[] right = ubArray.transpose().matMul(small).div(m.create(sigma).reshape(r, 1)).toDoubleArray();
        return new Result(sigma, left, right, out, in);
    }

    private static boolean settled(double[] before, double[] now, int r) {
        for (int i = 0; i < r; i++) {
            if (Math.abs(now[i] - before[i]) > 1e-13 * Math.max(now[0], 1e-300)) {
                return false;
            }
        }
        return true;
    }

    /** Left vectors and values of a small k x n matrix, from the k x k Gram matrix. */
    private record SmallSvd(double[] sigma, double[] u) {}

    private static SmallSvd smallSvd(NDArray b, int k) {
        Eigen eig = Eigen.symmetric(b.matMul(b.transpose()).toDoubleArray(), k);
        double[] sigma = new double[k];
        double[] u = new double[k * k];
        for (int i = 0; i < k; i++) {
            int j = eig.order[i];
            sigma[i] = Math.sqrt(Math.max(eig.values[j], 0));
            for (int row = 0; row < k; row++) {
                u[row * k + i] = eig.vectors[row * k + j];
            }
        }
        return new SmallSvd(sigma, u);
    }

    /** Columns of y made orthonormal: Cholesky QR, twice for float64-level orthogonality. */
    private static NDArray orthonormal(NDArray y) {
        for (int pass = 0; pass < 2; pass++) {
            int k = Math.toIntExact(y.getShape().get(1));
            double[] g = y.transpose().matMul(y).toDoubleArray();
            double[] rInv = upperInverse(cholesky(g, k), k);
            y = y.matMul(y.getManager().create(rInv, new Shape(k, k)));
        }
        return y;
    }

    /** Upper-triangular R with R^T R = g (row-major k x k), a tiny ridge if g is singular. */
    private static double[] cholesky(double[] g, int k) {
        double[] r = new double[k * k];
        double ridge = 0;
        for (int i = 0; i < k; i++) {
            ridge = Math.max(ridge, g[i * k + i]);
        }
        ridge *= 1e-15;
        for (int j = 0; j < k; j++) {
            for (int i = 0; i <= j; i++) {
                double sum = g[i * k + j];
                for (int p = 0; p < i; p++) {
                    sum -= r[p * k + i] * r[p * k + j];
                }
                if (i == j) {
                    r[i * k + i] = Math.sqrt(Math.max(sum, ridge));
                } else {
                    r[i * k + j] = sum / r[i * k + i];
                }
            }
        }
        return r;
    }

    private static double[] upperInverse(double[] r, int k) {
        double[] inv = new double[k * k];
        for (int j = 0; j < k; j++) {
            inv[j * k + j] = 1 / r[j * k + j];
            for (int i = j - 1; i >= 0; i--) {
                double sum = 0;
                for (int p = i + 1; p <= j; p++) {
                    sum += r[i * k + p] * inv[p * k + j];
                }
                inv[i * k + j] = -sum / r[i * k + i];
            }
        }
        return inv;
    }

    private static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }

    /** Symmetric eigenproblem by cyclic Jacobi rotations; {@code order} sorts values descending. */
    static final class Eigen {
        final double[] values;
        final double[] vectors;
        final int[] order;

        private Eigen(double[] values, double[] vectors, int[] order) {
            this.values = values;
            this.vectors = vectors;
            this.order = order;
        }

        /** @param a row-major n x n symmetric matrix (overwritten) */
        static Eigen symmetric(double[] a, int n) {
            double[] v = new double[n * n];
            for (int i = 0; i < n; i++) {
                v[i * n + i] = 1;
            }
            // quadratic convergence: a handful of sweeps; stop when no element is worth a rotation
            double scale = 0;
            for (int i = 0; i < n; i++) {
                scale = Math.max(scale, Math.abs(a[i * n + i]));
            }
            boolean rotated = true;
            for (int sweep = 0; sweep < 60 && rotated; sweep++) {
                rotated = false;
                for (int p = 0; p < n - 1; p++) {
                    for (int q = p + 1; q < n; q++) {
                        rotated |= rotate(a, v, n, p, q, scale);
                    }
                }
            }
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                values[i] = a[i * n + i];
            }
            int[] order = java.util.stream.IntStream.range(0, n).boxed()
                    .sorted((x, y) -> Double.compare(values[y], values[x])).mapToInt(Integer::intValue).toArray();
            return new Eigen(values, v, order);
        }

        /** Zeroes a[p][q] by a rotation in the (p, q) plane, applied to both sides and to v. */
        private static boolean rotate(double[] a, double[] v, int n, int p, int q, double scale) {
            double apq = a[p * n + q];
            // at the rounding level of the diagonal (or of the whole matrix): zero it instead of rotating
            if (Math.abs(apq) <= 1e-15 * (Math.abs(a[p * n + p]) + Math.abs(a[q * n + q]))
                    || Math.abs(apq) <= 1e-17 * scale) {
                a[p * n + q] = 0;
                a[q * n + p] = 0;
                return false;
            }
            double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
            double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
            if (theta == 0) {
                t = 1;
            }
            double c = 1 / Math.sqrt(t * t + 1);
            double s = t * c;
            for (int k = 0; k < n; k++) {
                double akp = a[k * n + p];
                double akq = a[k * n + q];
                a[k * n + p] = c * akp - s * akq;
                a[k * n + q] = s * akp + c * akq;
            }
            for (int k = 0; k < n; k++) {
                double apk = a[p * n + k];
                double aqk = a[q * n + k];
                a[p * n + k] = c * apk - s * aqk;
                a[q * n + k] = s * apk + c * aqk;
            }
            for (int k = 0; k < n; k++) {
                double vkp = v[k * n + p];
                double vkq = v[k * n + q];
                v[k * n + p] = c * vkp - s * vkq;
                v[k * n + q] = s * vkp + c * vkq;
            }
            return true;
        }
    }
}
