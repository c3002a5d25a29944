package org.idlegrid.client.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Linux: CPU temperature from hwmon ({@code /sys/class/hwmon/hwmon*}: chips named coretemp,
 * k10temp, zenpower, cpu_thermal..., every {@code temp*_input} in millidegrees), else from
 * thermal zones ({@code /sys/class/thermal/thermal_zone*} whose {@code type} is a CPU/package/
 * SoC zone; a Wi-Fi card's zone says nothing about the CPU); the hottest wins. Throttling from
 * {@code /sys/devices/system/cpu/cpu*}{@code /thermal_throttle/{core,package}_throttle_count}
 * (Intel), reported as the increase since the previous reading.
 */
public final class LinuxThermalProbe implements ThermalProbe {
  private static final Set<String> CPU_CHIPS = Set.of("coretemp", "k10temp", "zenpower", "cpu_thermal",
      "cpu-thermal", "soc_thermal", "x86_pkg_temp", "acpitz");
  private final Path sys;
  private long lastThrottle = -1;

  public LinuxThermalProbe(Path sys) {
    this.sys = sys;
  }

  public static LinuxThermalProbe system() {
    return new LinuxThermalProbe(Path.of("/sys"));
  }

  @Override
  public synchronized Thermal read() {
    long throttle = throttleCount();
    long events = lastThrottle >= 0 && throttle >= lastThrottle ? throttle - lastThrottle : 0;
    lastThrottle = throttle;
    Double hw = hwmon();
    if (hw != null) {
      return new Thermal(hw, events, "hwmon");
    }
    Double zone = zones();
    if (zone != null) {
      return new Thermal(zone, events, "thermal zone");
    }
    return new Thermal(null, events, "no CPU temperature sensor in " + sys);
  }

  private Double hwmon() {
    Double max = null;
    try (DirectoryStream<Path> chips = Files.newDirectoryStream(sys.resolve("class/hwmon"))) {
      for (Path chip : chips) {
        String name = LinuxPowerProbe.read(chip, "name");
        if (name == null || !CPU_CHIPS.contains(name.toLowerCase(Locale.ROOT))) {
          continue;
        }
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(chip, "temp*_input")) {
          for (Path t : temps) {
            max = max(max, milli(LinuxPowerProbe.read(chip, t.getFileName().toString())));
          }
        }
      }
    } catch (IOException e) {
      return max;
    }
    return max;
  }

  private Double zones() {
    Double max = null;
    try (DirectoryStream<Path> zones = Files.newDirectoryStream(sys.resolve("class/thermal"), "thermal_zone*")) {
      for (Path z : zones) {
        String type = LinuxPowerProbe.read(z, "type");
        if (type == null) {
          continue;
        }
        String t = type.toLowerCase(Locale.ROOT);
        if (CPU_CHIPS.contains(t) || t.contains("cpu") || t.contains("pkg") || t.contains("soc")) {
          max = max(max, milli(LinuxPowerProbe.read(z, "temp")));
        }
      }
    } catch (IOException e) {
      return max;
    }
    return max;
  }

  private long throttleCount() {
    long sum = 0;
    try (DirectoryStream<Path> cpus = Files.newDirectoryStream(sys.resolve("devices/system/cpu"), "cpu[0-9]*")) {
      for (Path cpu : cpus) {
        Path tt = cpu.resolve("thermal_throttle");
        for (String f : new String[] {"core_throttle_count", "package_throttle_count"}) {
          String v = LinuxPowerProbe.read(tt, f);
          if (v != null) {
            try {
              sum += Long.parseLong(v);
            } catch (NumberFormatException ignored) {
              // not a counter
            }
          }
        }
      }
    } catch (IOException e) {
      return sum;
    }
    return sum;
  }

  private static Double milli(String v) {
    if (v == null) {
      return null;
    }
    try {
      double c = Long.parseLong(v) / 1000.0;
      return c > -40 && c < 150 ? c : null; // out of range: a broken sensor
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Double max(Double a, Double b) {
    return b == null ? a : a == null ? b : Math.max(a, b);
  }
}
