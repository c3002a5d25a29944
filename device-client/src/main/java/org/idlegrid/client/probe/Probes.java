package org.idlegrid.client.probe;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The probes of one OS, read together. {@link #forThisOs} picks them:
 * <ul>
 *   <li>Linux: sysfs power, then UPower; idle from idle_detect, X11 (not on Wayland), logind,
 *       then terminal atime; /proc load and PSI; hwmon/thermal zones; NetworkManager metering;
 *   <li>macOS: IOKit IOPowerSources power (JNA), then {@code pmset -g batt}; IOHIDSystem
 *       HIDIdleTime (ioreg), JDK load, OSHI temperature;
 *   <li>Windows: GetSystemPowerStatus, GetLastInputInfo, JDK load, OSHI temperature;
 *   <li>anything else: unknown everywhere, so the idle-and-charging policy never runs.
 * </ul>
 */
public record Probes(PowerProbe power, IdleProbe idle, LoadProbe load, ThermalProbe thermal, MeteredProbe metered) {

  public Readings read(Clock clock) {
    return new Readings(power.read(), idle.read(), load.read(), thermal.read(), metered.metered(), clock.instant().toString());
  }

  public static Probes forThisOs(Clock clock) {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    CommandRunner cmd = CommandRunner.system();
    if (os.contains("linux")) {
      List<IdleProbe> idle = new ArrayList<>();
      idle.add(IdleDetectShmProbe.system(clock));
      X11IdleProbe x11 = X11IdleProbe.forEnvironment(Map.copyOf(System.getenv()));
      if (x11 != null) {
        idle.add(x11);
      }
      idle.add(new LogindIdleProbe(cmd, clock));
      idle.add(TtyIdleProbe.system(clock));
      return new Probes(PowerProbe.firstKnown(LinuxPowerProbe.system(), new UPowerProbe(cmd)),
          IdleProbe.firstKnown(idle.toArray(IdleProbe[]::new)), LinuxLoadProbe.system(), LinuxThermalProbe.system(),
          MeteredProbe.networkManager(cmd));
    }
    if (os.contains("mac")) {
      return new Probes(MacIoKitPowerProbe.withPmsetFallback(cmd), new MacIdleProbe(cmd), new JdkLoadProbe(),
          new OshiThermalProbe(), MeteredProbe.unknown());
    }
    if (os.contains("windows")) {
      return new Probes(new WindowsPowerProbe(), new WindowsIdleProbe(), new JdkLoadProbe(), new OshiThermalProbe(),
          MeteredProbe.unknown());
    }
    String why = "no probes for " + System.getProperty("os.name");
    return new Probes(PowerProbe.unknown(why), IdleProbe.unknown(why), LoadProbe.unknown(why),
        ThermalProbe.unknown(why), MeteredProbe.unknown());
  }

  /** Linux probes rooted in a fake tree ({@code sys}, {@code proc}, {@code dev}), for tests. */
  public static Probes linuxAt(Path sys, Path proc, Path dev, CommandRunner cmd, Clock clock) {
    return new Probes(
        PowerProbe.firstKnown(new LinuxPowerProbe(sys.resolve("class/power_supply")), new UPowerProbe(cmd)),
        IdleProbe.firstKnown(new LogindIdleProbe(cmd, clock), new TtyIdleProbe(dev, clock)),
        new LinuxLoadProbe(proc), new LinuxThermalProbe(sys), MeteredProbe.networkManager(cmd));
  }
}
