package org.idlegrid.client.probe;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Linux fallback when sysfs says nothing useful: {@code upower -d}. UPower derives "on
 * battery" only from a system battery that is discharging; its {@code DisplayDevice} carries the
 * combined percentage. The daemon section reads like:
 * <pre>
 * Daemon:
 *   daemon-version:  1.90.2
 *   on-battery:      no
 * </pre>
 */
public final class UPowerProbe implements PowerProbe {
  private static final Pattern ON_BATTERY = Pattern.compile("(?m)^\\s*on-battery:\\s*(yes|no)\\s*$");
  private static final Pattern PERCENT = Pattern.compile("(?m)^\\s*percentage:\\s*([0-9]+(?:[.,][0-9]+)?)%");
  private static final Pattern PRESENT = Pattern.compile("(?m)^\\s*(?:power supply|present):\\s*yes");
  private static final Pattern BATTERY_DEVICE = Pattern.compile("(?m)^Device: /org/freedesktop/UPower/devices/battery_");

  private final CommandRunner commands;

  public UPowerProbe(CommandRunner commands) {
    this.commands = commands;
  }

  @Override
  public Power read() {
    Optional<String> out = commands.run(List.of("upower", "-d"));
    return out.map(UPowerProbe::parse).orElseGet(() -> Power.unknown("upower not available"));
  }

  static Power parse(String text) {
    Matcher m = ON_BATTERY.matcher(text);
    if (!m.find()) {
      return Power.unknown("upower -d printed no on-battery line");
    }
    boolean onBattery = m.group(1).toLowerCase(Locale.ROOT).equals("yes");
    boolean hasBattery = BATTERY_DEVICE.matcher(text).find();
    Integer percent = null;
    for (String section : text.split("\\n\\s*\\n")) {
      if (!section.contains("/org/freedesktop/UPower/devices/DisplayDevice")) {
        continue;
      }
      Matcher p = PERCENT.matcher(section);
      if (p.find() && PRESENT.matcher(section).find()) {
        percent = (int) Math.floor(Double.parseDouble(p.group(1).replace(',', '.')));
      }
    }
    Power base = onBattery ? Power.battery("upower: on-battery yes") : Power.ac("upower: on-battery no");
    return hasBattery || onBattery ? base.withBattery(percent) : base;
  }
}
