package io.jlora.data.jinja;

import java.util.ArrayList;
import java.util.List;
import static io.jlora.data.jinja.Py.str;

/** Python's string operations that differ from Java's: strip, split, count, title. */
final class PyStrings {
    private PyStrings() {}

    static String strip(String s, Object chars, boolean left, boolean right) {
        String set = chars == null ? null : str(chars);
        int a = 0;
        int b = s.length();
        while (left && a < b && (set == null ? Character.isWhitespace(s.charAt(a)) : set.indexOf(s.charAt(a)) >= 0)) {
            a++;
        }
        while (right && b > a && (set == null ? Character.isWhitespace(s.charAt(b - 1)) : set.indexOf(s.charAt(b - 1)) >= 0)) {
            b--;
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

    static List<Object> split(String s, Object sep, Object maxsplit) {
        long max = maxsplit == null ? -1 : (Long) maxsplit;
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            String rest = s.strip();
            while (!rest.isEmpty()) {
                if (max >= 0 && out.size() == max) {
                    out.add(rest);
                    return out;
                }
                int k = 0;
                while (k < rest.length() && !Character.isWhitespace(rest.charAt(k))) {
                    k++;
                }
                out.add(rest.substring(0, k));
                rest = rest.substring(k).stripLeading();
            }
            return out;
        }
        String d = str(sep);
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

    static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean start = true;
        for (char ch : s.toCharArray()) {
            sb.append(start ? Character.toUpperCase(ch) : Character.toLowerCase(ch));
            start = !Character.isLetter(ch);
        }
        return sb.toString();
    }
}
