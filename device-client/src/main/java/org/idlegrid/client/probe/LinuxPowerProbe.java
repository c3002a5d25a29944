package org.idlegrid.client.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * AC power from Linux sysfs ({@code /sys/class/power_supply}, kernel ABI sysfs-class-power),
 * with a configurable root so tests use fake trees.
 *
 * <ul>
 *   <li>supplies with {@code scope=Device} (a mouse's or a phone's battery) are ignored, as
 *       UPower does;
 *   <li>a {@code Mains}/{@code USB}(-C/PD)/{@code Wireless} supply with {@code online} ≥ 1 (the
 *       ABI allows 0/1/2) means on AC. "Charging" is never the test: a charge-limited laptop on
 *       its charger says {@code Not charging} or {@code Full};
 *   <li>no such supply online but a system battery: on battery, except a battery whose
 *       {@code status} is Charging/Full/Not charging with no mains entry at all (some firmware
 *       exposes only the battery) counts as AC;
 *   <li>no battery and no mains entry: a desktop, i.e. AC (the one "proven" case);
 *   <li>anything else (unreadable, mains all offline and no battery): UNKNOWN.
 * </ul>
 * OSHI is deliberately not used here: its Linux power source skips ADP/AC supplies and always
 * reports "not on line".
 */
public final class LinuxPowerProbe implements PowerProbe {
  private final Path root;

  public LinuxPowerProbe(Path root) {
    this.root = root;
  }

  public static LinuxPowerProbe system() {
    return new LinuxPowerProbe(Path.of("/sys/class/power_supply"));
  }

  @Override
  public Power read() {
    if (!Files.isDirectory(root)) {
      return Power.unknown(root + " is missing");
    }
    List<String> mainsOnline = new ArrayList<>();
    int mains = 0;
    List<String> batteries = new ArrayList<>();
    List<String> batteryStatus = new ArrayList<>();
    Integer lowest = null;
    try (DirectoryStream<Path> supplies = Files.newDirectoryStream(root)) {
      for (Path supply : supplies) {
        String type = read(supply, "type");
        if (type == null) {
          continue;
        }
        if ("device".equalsIgnoreCase(read(supply, "scope"))) {
          continue; // a peripheral's battery says nothing about this machine's power
        }
        String name = supply.getFileName().toString();
        switch (type.toLowerCase(Locale.ROOT)) {
          case "mains", "usb", "usb_c", "usb_pd", "usb_pd_drp", "wireless" -> {
            mains++;
            if (number(read(supply, "online")) >= 1) {
              mainsOnline.add(name);
            }
          }
          case "battery" -> {
            batteries.add(name);
            String status = read(supply, "status");
            batteryStatus.add(status == null ? "Unknown" : status);
            int capacity = number(read(supply, "capacity"));
            if (capacity >= 0 && capacity <= 100) {
              lowest = lowest == null ? capacity : Math.min(lowest, capacity);
            }
          }
          default -> { }
        }
      }
    } catch (IOException e) {
      return Power.unknown("cannot read " + root + ": " + e.getMessage());
    }
    if (!mainsOnline.isEmpty()) {
      Power p = Power.ac("mains online: " + String.join(", ", mainsOnline));
      return batteries.isEmpty() ? p : p.withBattery(lowest);
    }
    if (batteries.isEmpty()) {
      return mains == 0
          ? Power.ac("no battery: a desktop on mains")
          : Power.unknown(mains + " mains supply(ies) all offline and no battery: cannot tell");
    }
    String desc = describe(batteries, batteryStatus);
    if (mains == 0 && batteryStatus.stream().noneMatch(s -> s.equalsIgnoreCase("Discharging"))) {
      if (batteryStatus.stream().allMatch(LinuxPowerProbe::pluggedStatus)) {
        return Power.ac("no mains entry; " + desc).withBattery(lowest);
      }
      return Power.unknown("no mains entry and battery status " + desc + ": cannot tell");
    }
    return new Power(Power.State.BATTERY, lowest, true, false, "no mains supply online; " + desc);
  }

  private static boolean pluggedStatus(String s) {
    return s.equalsIgnoreCase("Charging") || s.equalsIgnoreCase("Full") || s.equalsIgnoreCase("Not charging");
  }

  private static String describe(List<String> names, List<String> status) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      parts.add(names.get(i) + " " + status.get(i));
    }
    return String.join(", ", parts);
  }

  private static int number(String s) {
    if (s == null) {
      return -1;
    }
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static String read(Path dir, String attribute) {
    Path file = dir.resolve(attribute);
    try {
      return Files.isReadable(file) ? Files.readString(file).trim() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
