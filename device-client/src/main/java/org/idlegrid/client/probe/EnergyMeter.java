package org.idlegrid.client.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * Energy used while a unit runs, where the OS lets us read it: Linux RAPL
 * ({@code /sys/class/powercap/intel-rapl:N/energy_uj}, also on AMD since Zen). Only the top-level
 * package zones are summed ({@code intel-rapl:N}, not the sub-zones {@code intel-rapl:N:M} that
 * they already contain). A counter that went down wrapped: it counts up to
 * {@code max_energy_range_uj}. The figure is the whole package's energy during the unit, so other
 * work running at the same time is included; on an idle device (the only time units run) that
 * is small. Most distributions make {@code energy_uj} root-only (CVE-2020-8694): then there is
 * no figure and results carry no {@code energyJ}.
 */
public final class EnergyMeter {
  private static final Pattern PACKAGE = Pattern.compile("intel-rapl:[0-9]+");
  private final Path powercap;

  public EnergyMeter(Path powercap) {
    this.powercap = powercap;
  }

  public static EnergyMeter system() {
    return new EnergyMeter(Path.of("/sys/class/powercap"));
  }

  /** The counters now, or null when none is readable. */
  public Sample sample() {
    List<Zone> zones = new ArrayList<>();
    if (!Files.isDirectory(powercap)) {
      return null;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(powercap)) {
      for (Path z : s) {
        if (!PACKAGE.matcher(z.getFileName().toString()).matches()) {
          continue;
        }
        String energy = LinuxPowerProbe.read(z, "energy_uj");
        String max = LinuxPowerProbe.read(z, "max_energy_range_uj");
        if (energy == null || max == null) {
          return null; // unreadable (root-only): better no figure than a partial one
        }
        zones.add(new Zone(z.getFileName().toString(), Long.parseLong(energy), Long.parseLong(max)));
      }
    } catch (IOException | NumberFormatException e) {
      return null;
    }
    zones.sort((a, b) -> a.name.compareTo(b.name));
    return zones.isEmpty() ? null : new Sample(List.copyOf(zones));
  }

  /** Joules between two samples (wraparound handled); empty if either is missing or they differ. */
  public static OptionalDouble joules(Sample start, Sample end) {
    if (start == null || end == null || start.zones.size() != end.zones.size()) {
      return OptionalDouble.empty();
    }
    long micro = 0;
    for (int i = 0; i < start.zones.size(); i++) {
      Zone a = start.zones.get(i);
      Zone b = end.zones.get(i);
      if (!a.name.equals(b.name)) {
        return OptionalDouble.empty();
      }
      micro += b.energyUj >= a.energyUj ? b.energyUj - a.energyUj : a.maxUj - a.energyUj + b.energyUj;
    }
    return OptionalDouble.of(micro / 1e6);
  }

  /** Counter values at one moment. */
  public record Sample(List<Zone> zones) {}

  record Zone(String name, long energyUj, long maxUj) {}
}
