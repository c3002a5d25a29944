package org.idlegrid.client.eligibility;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The owner's hours, e.g. {@code "22:00-07:00"} or {@code "Mon-Fri 18:00-08:00; Sat,Sun 00:00-24:00"}:
 * windows separated by {@code ;}, each an optional day list ({@code Mon-Fri}, {@code Sat,Sun})
 * and a time range in the device's zone. A range that ends before it starts runs over midnight
 * and belongs to the day it starts on; {@code 00:00-24:00} (or equal ends) is the whole day.
 * Empty text means any time.
 */
public final class TimeWindows {
  private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");
  private final List<Window> windows;
  private final String text;

  private record Window(Set<DayOfWeek> days, LocalTime start, LocalTime end, boolean toMidnight) {
    boolean contains(ZonedDateTime t) {
      LocalTime now = t.toLocalTime();
      DayOfWeek today = t.getDayOfWeek();
      if (toMidnight || start.equals(end)) {
        return days.contains(today) && !now.isBefore(start);
      }
      if (start.isBefore(end)) {
        return days.contains(today) && !now.isBefore(start) && now.isBefore(end);
      }
      return (days.contains(today) && !now.isBefore(start)) || (days.contains(today.minus(1)) && now.isBefore(end));
    }
  }

  private TimeWindows(List<Window> windows, String text) {
    this.windows = windows;
    this.text = text;
  }

  public static final TimeWindows ANY_TIME = new TimeWindows(List.of(), "");

  /** Parses the owner's text; throws IllegalArgumentException saying what is wrong. */
  public static TimeWindows parse(String text) {
    if (text == null || text.isBlank()) {
      return ANY_TIME;
    }
    List<Window> list = new ArrayList<>();
    for (String part : text.split(";")) {
      String w = part.trim();
      if (w.isEmpty()) {
        continue;
      }
      String[] f = w.split("\\s+");
      if (f.length > 2) {
        throw new IllegalArgumentException("'" + w + "' is not [days] HH:MM-HH:MM");
      }
      Set<DayOfWeek> days = f.length == 2 ? days(f[0]) : EnumSet.allOf(DayOfWeek.class);
      String range = f[f.length - 1];
      String[] ends = range.split("-");
      if (ends.length != 2) {
        throw new IllegalArgumentException("'" + range + "' is not a time range HH:MM-HH:MM");
      }
      LocalTime start = time(ends[0], false);
      boolean toMidnight = ends[1].equals("24:00");
      LocalTime end = toMidnight ? LocalTime.MIDNIGHT : time(ends[1], true);
      list.add(new Window(days, start, end, toMidnight));
    }
    return new TimeWindows(List.copyOf(list), text.trim());
  }

  private static LocalTime time(String s, boolean end) {
    try {
      return LocalTime.parse(s.length() == 4 ? "0" + s : s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + s + "' is not a time of day HH:MM" + (end ? " (24:00 allowed as an end)" : ""));
    }
  }

  private static Set<DayOfWeek> days(String spec) {
    Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
    for (String item : spec.toLowerCase(Locale.ROOT).split(",")) {
      String[] r = item.split("-");
      if (r.length > 2) {
        throw new IllegalArgumentException("'" + item + "' is not a day or a day range like Mon-Fri");
      }
      int a = day(r[0]);
      int b = r.length == 2 ? day(r[1]) : a;
      for (int i = a; ; i = (i + 1) % 7) {
        days.add(DayOfWeek.of(i + 1));
        if (i == b) {
          break;
        }
      }
    }
    return days;
  }

  private static int day(String s) {
    String d = s.length() >= 3 ? s.substring(0, 3) : s;
    int i = DAYS.indexOf(d);
    if (i < 0) {
      throw new IllegalArgumentException("'" + s + "' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)");
    }
    return i;
  }

  public boolean anyTime() {
    return windows.isEmpty();
  }

  public boolean contains(ZonedDateTime t) {
    return windows.isEmpty() || windows.stream().anyMatch(w -> w.contains(t));
  }

  @Override
  public String toString() {
    return text;
  }
}
