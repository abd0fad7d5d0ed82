package io.jlora.data.jinja;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Python's {@code repr(float)} (also {@code str} and {@code json.dumps}): the shortest digits that
 * read back to the same double, positional for exponents -4 to 15 ({@code 0.1}, {@code 100.0}),
 * scientific otherwise ({@code 1e-05}, {@code 1e+16}, {@code 1.5e+300}). Java's
 * {@code Double.toString} writes {@code 1.0E-5} and, before Java 19, not always the shortest digits.
 */
final class PyFloat {
    private PyFloat() {}

    static String repr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal shortest = shortest(d);
        String digits = shortest.unscaledValue().abs().toString();
        int trailing = 0;
        while (trailing < digits.length() - 1 && digits.charAt(digits.length() - 1 - trailing) == '0') {
            trailing++;
        }
        digits = digits.substring(0, digits.length() - trailing);
        // value = 0.digits * 10^point, as Python's float_repr computes it
        int point = digits.length() - shortest.scale() + trailing;
        int exponent = point - 1;
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (exponent >= -4 && exponent < 16) {
            if (point <= 0) {
                sb.append("0.").append("0".repeat(-point)).append(digits);
            } else if (point >= digits.length()) {
                sb.append(digits).append("0".repeat(point - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, point).append('.').append(digits, point, digits.length());
            }
            return sb.toString();
        }
        sb.append(digits.charAt(0));
        if (digits.length() > 1) {
            sb.append('.').append(digits, 1, digits.length());
        }
        sb.append('e').append(exponent < 0 ? '-' : '+');
        int abs = Math.abs(exponent);
        sb.append(abs < 10 ? "0" : "").append(abs);
        return sb.toString();
    }

    /** The fewest significant digits (1 to 17) that round-trip to d. */
    private static BigDecimal shortest(double d) {
        BigDecimal exact = new BigDecimal(d);
        for (int p = 1; p < 17; p++) {
            BigDecimal candidate = exact.round(new MathContext(p));
            if (candidate.doubleValue() == d) {
                return candidate;
            }
        }
        return exact.round(new MathContext(17));
    }
}
