package io.jlora.quant;

import java.math.BigDecimal;

/**
 * Python's {@code repr(float)}, which {@code json.dumps} writes: the shortest decimal that reads
 * back as the same double, in positional notation when the exponent is in [-4, 16), else as
 * {@code 1.5e-05}. Java's own Double.toString differs in layout (and, before Java 19, is not
 * always shortest).
 */
final class PythonFloat {

    private PythonFloat() {}

    static String repr(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            throw new IllegalArgumentException("JSON has no " + x);
        }
        if (x == 0) {
            return (1 / x < 0) ? "-0.0" : "0.0";
        }
        String digits = null;
        int exponent = 0;
        for (int precision = 1; precision <= 17; precision++) {
            String s = String.format("%." + (precision - 1) + "e", Math.abs(x));
            if (Double.parseDouble(s) == Math.abs(x)) {
                int e = s.indexOf('e');
                digits = s.substring(0, e).replace(".", "");
                exponent = Integer.parseInt(s.substring(e + 1));
                break;
            }
        }
        digits = digits.replaceAll("0+$", "");
        if (digits.isEmpty()) {
            digits = "0";
        }
        String sign = x < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            BigDecimal value = new BigDecimal(digits).scaleByPowerOfTen(exponent - (digits.length() - 1));
            String plain = value.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
}
