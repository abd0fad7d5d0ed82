package io.jlora.data.jinja;

import static io.jlora.data.jinja.Py.str;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Python's string operations where Java's differ: whitespace is exactly {@code str.isspace}'s set
 * (Java's {@code Character.isWhitespace} leaves out U+00A0, U+2007, U+202F and includes none of
 * U+0085's kin consistently), so strip/split/trim treat the same characters as Python; title and
 * capitalize follow Python's casing rules.
 */
final class PyStrings {
    private PyStrings() {}

    /** Python's {@code str.isspace} for one code point: Unicode Zs plus bidi classes WS, B and S. */
    static boolean isSpace(int c) {
        if (c < 0x80) {
            return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
        }
        return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029
                || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    static String strip(String s, Object chars, boolean left, boolean right) {
        String set = chars == null ? null : str(chars);
        int a = 0;
        int b = s.length();
        while (left && a < b) {
            int c = s.codePointAt(a);
            if (!(set == null ? isSpace(c) : set.indexOf(c) >= 0)) {
                break;
            }
            a += Character.charCount(c);
        }
        while (right && b > a) {
            int c = s.codePointBefore(b);
            if (!(set == null ? isSpace(c) : set.indexOf(c) >= 0)) {
                break;
            }
            b -= Character.charCount(c);
        }
        return s.substring(a, b);
    }

    static boolean startsOrEnds(String s, Object arg, boolean start) {
        if (arg instanceof List<?> options) {
            for (Object o : options) {
                if (start ? s.startsWith(str(o)) : s.endsWith(str(o))) {
                    return true;
                }
            }
            return false;
        }
        return start ? s.startsWith(str(arg)) : s.endsWith(str(arg));
    }

    /** {@code str.split(sep, maxsplit)}; without sep, runs of Python whitespace separate and ends are dropped. */
    static List<Object> split(String s, Object sep, Object maxsplit) {
        long max = maxsplit == null ? -1 : (Long) maxsplit;
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int k = 0;
            int n = s.length();
            while (true) {
                while (k < n && isSpace(s.codePointAt(k))) {
                    k += Character.charCount(s.codePointAt(k));
                }
                if (k >= n) {
                    return out;
                }
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(k), null, false, true));
                    return out;
                }
                int start = k;
                while (k < n && !isSpace(s.codePointAt(k))) {
                    k += Character.charCount(s.codePointAt(k));
                }
                out.add(s.substring(start, k));
            }
        }
        String d = str(sep);
        if (d.isEmpty()) {
            throw new TemplateException("split(): empty separator", false);
        }
        int start = 0;
        while (true) {
            int at = s.indexOf(d, start);
            if (at < 0 || (max >= 0 && out.size() == max)) {
                out.add(s.substring(start));
                return out;
            }
            out.add(s.substring(start, at));
            start = at + d.length();
        }
    }

    /** {@code str.rsplit(sep, maxsplit)}: as split, counting from the right. */
    static List<Object> rsplit(String s, Object sep, Object maxsplit) {
        long max = maxsplit == null ? -1 : (Long) maxsplit;
        if (max < 0) {
            return split(s, sep, maxsplit);
        }
        String reversed = new StringBuilder(s).reverse().toString();
        Object revSep = sep == null ? null : new StringBuilder(str(sep)).reverse().toString();
        List<Object> parts = split(reversed, revSep, maxsplit);
        List<Object> out = new ArrayList<>();
        for (Object p : parts) {
            out.add(new StringBuilder((String) p).reverse().toString());
        }
        Collections.reverse(out);
        if (sep == null && !out.isEmpty()) {
            out.set(0, strip((String) out.get(0), null, true, false));
        }
        return out;
    }

    static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    /** Python's title(): a cased character after an uncased one is title-cased, other cased ones lowered. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean previousCased = false;
        for (int k = 0; k < s.length(); ) {
            int c = s.codePointAt(k);
            k += Character.charCount(c);
            sb.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
        }
        return sb.toString();
    }

    /** Python's capitalize(): the first character title-cased, the rest lowered. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT)).toString();
    }
}
