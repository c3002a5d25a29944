package org.idlegrid.client.eligibility;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * AC power from Linux sysfs ({@code /sys/class/power_supply}): a {@code Mains} or {@code USB}
 * supply with {@code online=1} means on AC; supplies with {@code scope=Device} (a mouse's or a
 * phone's battery) are ignored; a machine with no system battery at all is a desktop, i.e. on
 * AC. Batteries without any mains supply reporting online mean on battery. Anything it cannot
 * read makes the answer UNKNOWN, which the policy treats as "do not run".
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
    int batteries = 0;
    try (DirectoryStream<Path> supplies = Files.newDirectoryStream(root)) {
      for (Path supply : supplies) {
        String type = read(supply, "type");
        if (type == null) {
          continue;
        }
        if ("device".equalsIgnoreCase(read(supply, "scope"))) {
          continue; // a peripheral's battery says nothing about this machine's power
        }
        switch (type.toLowerCase(Locale.ROOT)) {
          case "mains", "usb", "usb_c", "usb_pd", "wireless" -> {
            mains++;
            if ("1".equals(read(supply, "online"))) {
              mainsOnline.add(supply.getFileName().toString());
            }
          }
          case "battery" -> batteries++;
          default -> { }
        }
      }
    } catch (IOException e) {
      return Power.unknown("cannot read " + root + ": " + e.getMessage());
    }
    if (!mainsOnline.isEmpty()) {
      return Power.ac("mains online: " + String.join(", ", mainsOnline));
    }
    if (batteries == 0 && mains == 0) {
      return Power.ac("no battery: a desktop on mains");
    }
    if (batteries > 0) {
      return Power.battery(batteries + " battery(ies), no mains supply online");
    }
    return Power.unknown(mains + " mains supply(ies) all offline and no battery: cannot tell");
  }

  private static String read(Path supply, String attribute) {
    Path file = supply.resolve(attribute);
    try {
      return Files.isReadable(file) ? Files.readString(file).trim() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
