package org.idlegrid.client.probe;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * macOS power from {@code pmset -g batt} (the documented command-line view of IOKit's power
 * sources, IOPSGetProvidingPowerSourceType): <pre>
 * Now drawing from 'AC Power'
 *  -InternalBattery-0 (id=4653155)	85%; charging; 0:52 remaining present: true
 * </pre>
 * 'Battery Power' and 'UPS Power' are both "not on mains". A Mac mini prints only the first
 * line: a desktop. Low Power Mode ({@code pmset -g} {@code lowpowermode 1}) is the battery saver.
 */
public final class MacPowerProbe implements PowerProbe {
  private static final Pattern SOURCE = Pattern.compile("drawing from '([^']+)'");
  private static final Pattern BATTERY = Pattern.compile("(?m)^\\s*-InternalBattery-\\d+.*?\\t?(\\d{1,3})%");
  private static final Pattern LOW_POWER = Pattern.compile("(?m)^\\s*lowpowermode\\s+1\\s*$");

  private final CommandRunner commands;

  public MacPowerProbe(CommandRunner commands) {
    this.commands = commands;
  }

  @Override
  public Power read() {
    Optional<String> batt = commands.run(List.of("pmset", "-g", "batt"));
    if (batt.isEmpty()) {
      return Power.unknown("pmset -g batt failed");
    }
    boolean saver = commands.run(List.of("pmset", "-g")).map(s -> LOW_POWER.matcher(s).find()).orElse(false);
    return parse(batt.get()).withSaver(saver);
  }

  static Power parse(String text) {
    Matcher s = SOURCE.matcher(text);
    if (!s.find()) {
      return Power.unknown("pmset -g batt named no power source");
    }
    String source = s.group(1);
    Matcher b = BATTERY.matcher(text);
    Integer percent = b.find() ? Integer.valueOf(b.group(1)) : null;
    boolean hasBattery = percent != null || text.contains("InternalBattery");
    Power p = switch (source) {
      case "AC Power" -> Power.ac("pmset: AC Power");
      case "Battery Power", "UPS Power" -> Power.battery("pmset: " + source);
      default -> Power.unknown("pmset: unknown power source '" + source + "'");
    };
    return hasBattery ? p.withBattery(percent) : p;
  }
}
