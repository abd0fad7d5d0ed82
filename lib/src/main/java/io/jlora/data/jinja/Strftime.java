package io.jlora.data.jinja;

import java.time.LocalDateTime;
import java.util.Locale;

/** Python's strftime for the directives chat templates use for dates. */
final class Strftime {
    private Strftime() {}

    /** The strftime directives chat templates use for dates. */
    static String format(String format, LocalDateTime t) {
        String[] months = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"};
        String[] days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < format.length(); k++) {
            char ch = format.charAt(k);
            if (ch != '%' || k + 1 >= format.length()) {
                sb.append(ch);
                continue;
            }
            char d = format.charAt(++k);
            switch (d) {
                case 'd' -> sb.append(String.format(Locale.ROOT, "%02d", t.getDayOfMonth()));
                case 'm' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMonthValue()));
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format(Locale.ROOT, "%02d", t.getYear() % 100));
                case 'b' -> sb.append(months[t.getMonthValue() - 1], 0, 3);
                case 'B' -> sb.append(months[t.getMonthValue() - 1]);
                case 'a' -> sb.append(days[t.getDayOfWeek().getValue() - 1], 0, 3);
                case 'A' -> sb.append(days[t.getDayOfWeek().getValue() - 1]);
                case 'H' -> sb.append(String.format(Locale.ROOT, "%02d", t.getHour()));
                case 'M' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMinute()));
                case 'S' -> sb.append(String.format(Locale.ROOT, "%02d", t.getSecond()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }
}
