package org.idlegrid.client.eligibility;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The device owner's preferences: {@code <state-dir>/preferences.properties}, each key
 * overridable by the command line's flag of the same name ({@code --idle-minutes 5} overrides
 * {@code idleMinutes=5}). Validated when built: a bad value names its key and the rule. The
 * defaults (documented in docs/client.md) suit a laptop that is also used for other things.
 *
 * @param idleMinutes minutes without keyboard/mouse input before work starts (0: ignore input)
 * @param requireAc work only on mains power (false: battery allowed above the floor)
 * @param batteryFloor with a battery: stop below this charge, in percent (0: no floor)
 * @param batteryResumeMargin resume only at floor + this many percent (no flapping at the floor)
 * @param maxCpuShare other programs' CPU use, as a share of all cores (0..1), above which work stops
 * @param maxCpuPressure Linux PSI "some avg10" percent above which work does not start
 * @param loadStopSeconds how long others' CPU use must stay high before a running unit stops
 * @param loadResumeSeconds how long it must stay low before work starts again
 * @param maxTemperatureC CPU temperature above which work stops (resumes 5 °C below)
 * @param threads ONNX Runtime threads per unit (0: the runtime's choice)
 * @param memoryMb the client's resident memory cap in MB, 0 for none; a unit that pushes past it is stopped
 * @param cacheDiskMb the model cache's disk cap; least recently used models are evicted
 * @param windows the hours work may run in (empty: any time)
 * @param meteredOff no work on a metered network (where the OS tells it)
 * @param zone the time zone of {@code windows}
 */
public record Preferences(
    int idleMinutes,
    boolean requireAc,
    int batteryFloor,
    int batteryResumeMargin,
    double maxCpuShare,
    double maxCpuPressure,
    int loadStopSeconds,
    int loadResumeSeconds,
    double maxTemperatureC,
    int threads,
    int memoryMb,
    int cacheDiskMb,
    TimeWindows windows,
    boolean meteredOff,
    ZoneId zone) {

  public static final String FILE = "preferences.properties";
  public static final double THERMAL_RESUME_MARGIN = 5.0;

  /** The keys, in the order docs/client.md lists them. */
  public static final List<String> KEYS = List.of("idleMinutes", "requireAc", "batteryFloor", "batteryResumeMargin",
      "maxCpuShare", "maxCpuPressure", "loadStopSeconds", "loadResumeSeconds", "maxTemperatureC", "threads",
      "memoryMb", "cacheDiskMb", "windows", "meteredOff", "zone");

  public static Preferences defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Duration idle() {
    return Duration.ofMinutes(idleMinutes);
  }

  /**
   * The file in {@code stateDir} (if any) with {@code overrides} (key → text, from the command
   * line) on top.
   *
   * @throws IllegalArgumentException naming the file, the key and the rule for a bad value
   */
  public static Preferences load(Path stateDir, Map<String, String> overrides) throws IOException {
    Builder b = builder();
    Path file = stateDir.resolve(FILE);
    if (Files.isRegularFile(file)) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      for (String key : p.stringPropertyNames()) {
        try {
          b.set(key, p.getProperty(key));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
      }
    }
    for (var e : overrides.entrySet()) {
      if (e.getValue() != null) {
        b.set(e.getKey(), e.getValue());
      }
    }
    return b.build();
  }

  /** The preferences as properties text (what {@code status} shows and a template file holds). */
  public Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("idleMinutes", Integer.toString(idleMinutes));
    m.put("requireAc", Boolean.toString(requireAc));
    m.put("batteryFloor", Integer.toString(batteryFloor));
    m.put("batteryResumeMargin", Integer.toString(batteryResumeMargin));
    m.put("maxCpuShare", Double.toString(maxCpuShare));
    m.put("maxCpuPressure", Double.toString(maxCpuPressure));
    m.put("loadStopSeconds", Integer.toString(loadStopSeconds));
    m.put("loadResumeSeconds", Integer.toString(loadResumeSeconds));
    m.put("maxTemperatureC", Double.toString(maxTemperatureC));
    m.put("threads", Integer.toString(threads));
    m.put("memoryMb", Integer.toString(memoryMb));
    m.put("cacheDiskMb", Integer.toString(cacheDiskMb));
    m.put("windows", windows.toString());
    m.put("meteredOff", Boolean.toString(meteredOff));
    m.put("zone", zone.getId());
    return m;
  }

  public static final class Builder {
    private int idleMinutes = 3;
    private boolean requireAc = true;
    private int batteryFloor = 50;
    private int batteryResumeMargin = 5;
    private double maxCpuShare = 0.25;
    private double maxCpuPressure = 40;
    private int loadStopSeconds = 5;
    private int loadResumeSeconds = 30;
    private double maxTemperatureC = 85;
    private int threads = 0;
    private int memoryMb = 0;
    private int cacheDiskMb = 2048;
    private TimeWindows windows = TimeWindows.ANY_TIME;
    private boolean meteredOff = true;
    private ZoneId zone = ZoneId.systemDefault();

    public Builder idleMinutes(int v) { idleMinutes = v; return this; }
    public Builder requireAc(boolean v) { requireAc = v; return this; }
    public Builder batteryFloor(int v) { batteryFloor = v; return this; }
    public Builder batteryResumeMargin(int v) { batteryResumeMargin = v; return this; }
    public Builder maxCpuShare(double v) { maxCpuShare = v; return this; }
    public Builder maxCpuPressure(double v) { maxCpuPressure = v; return this; }
    public Builder loadStopSeconds(int v) { loadStopSeconds = v; return this; }
    public Builder loadResumeSeconds(int v) { loadResumeSeconds = v; return this; }
    public Builder maxTemperatureC(double v) { maxTemperatureC = v; return this; }
    public Builder threads(int v) { threads = v; return this; }
    public Builder memoryMb(int v) { memoryMb = v; return this; }
    public Builder cacheDiskMb(int v) { cacheDiskMb = v; return this; }
    public Builder windows(String v) { windows = windowsOf(v); return this; }
    public Builder meteredOff(boolean v) { meteredOff = v; return this; }
    public Builder zone(ZoneId v) { zone = v; return this; }

    /** Sets one key from text (the file or a flag); unknown keys and unparsable values name the key. */
    public Builder set(String key, String value) {
      String v = value.trim();
      switch (key) {
        case "idleMinutes" -> idleMinutes = integer(key, v);
        case "requireAc" -> requireAc = bool(key, v);
        case "batteryFloor" -> batteryFloor = integer(key, v);
        case "batteryResumeMargin" -> batteryResumeMargin = integer(key, v);
        case "maxCpuShare" -> maxCpuShare = decimal(key, v);
        case "maxCpuPressure" -> maxCpuPressure = decimal(key, v);
        case "loadStopSeconds" -> loadStopSeconds = integer(key, v);
        case "loadResumeSeconds" -> loadResumeSeconds = integer(key, v);
        case "maxTemperatureC" -> maxTemperatureC = decimal(key, v);
        case "threads" -> threads = integer(key, v);
        case "memoryMb" -> memoryMb = integer(key, v);
        case "cacheDiskMb" -> cacheDiskMb = integer(key, v);
        case "windows" -> windows = windowsOf(v);
        case "meteredOff" -> meteredOff = bool(key, v);
        case "zone" -> {
          try {
            zone = ZoneId.of(v);
          } catch (RuntimeException e) {
            throw new IllegalArgumentException("zone: '" + v + "' is not a time zone (e.g. Europe/Paris, UTC)");
          }
        }
        default -> throw new IllegalArgumentException("unknown preference '" + key + "' (known: " + String.join(", ", KEYS) + ")");
      }
      return this;
    }

    private static TimeWindows windowsOf(String v) {
      try {
        return TimeWindows.parse(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("windows: " + e.getMessage()
            + " (example: \"Mon-Fri 18:00-08:00; Sat,Sun 00:00-24:00\")");
      }
    }

    private static int integer(String key, String v) {
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + ": must be a whole number, got '" + v + "'");
      }
    }

    private static double decimal(String key, String v) {
      try {
        double d = Double.parseDouble(v);
        if (!Double.isFinite(d)) {
          throw new NumberFormatException();
        }
        return d;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + ": must be a number, got '" + v + "'");
      }
    }

    private static boolean bool(String key, String v) {
      return switch (v.toLowerCase(java.util.Locale.ROOT)) {
        case "true", "yes", "on" -> true;
        case "false", "no", "off" -> false;
        default -> throw new IllegalArgumentException(key + ": must be true or false, got '" + v + "'");
      };
    }

    private static void range(String key, double v, double min, double max, String unit) {
      if (v < min || v > max) {
        throw new IllegalArgumentException(key + ": must be between " + fmt(min) + " and " + fmt(max) + unit + ", got " + fmt(v));
      }
    }

    private static String fmt(double d) {
      return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    public Preferences build() {
      range("idleMinutes", idleMinutes, 0, 1440, " minutes");
      range("batteryFloor", batteryFloor, 0, 100, " %");
      range("batteryResumeMargin", batteryResumeMargin, 0, 50, " %");
      if (batteryFloor > 0 && batteryFloor + batteryResumeMargin > 100) {
        throw new IllegalArgumentException("batteryResumeMargin: batteryFloor + batteryResumeMargin must be at most 100, got "
            + batteryFloor + " + " + batteryResumeMargin);
      }
      if (!requireAc && batteryFloor == 0) {
        throw new IllegalArgumentException("batteryFloor: must be above 0 when requireAc is false (it is what keeps "
            + "the battery from being drained)");
      }
      range("maxCpuShare", maxCpuShare, 0.01, 1, " (a share of all cores)");
      range("maxCpuPressure", maxCpuPressure, 1, 100, " %");
      range("loadStopSeconds", loadStopSeconds, 0, 3600, " s");
      range("loadResumeSeconds", loadResumeSeconds, 0, 3600, " s");
      range("maxTemperatureC", maxTemperatureC, 40, 110, " °C");
      range("threads", threads, 0, 1024, "");
      if (memoryMb != 0) {
        range("memoryMb", memoryMb, 128, 1 << 20, " MB (or 0: no cap)");
      }
      range("cacheDiskMb", cacheDiskMb, 16, 1 << 24, " MB");
      if (windows == null || zone == null) {
        throw new IllegalArgumentException((windows == null ? "windows" : "zone") + ": required");
      }
      return new Preferences(idleMinutes, requireAc, batteryFloor, batteryResumeMargin, maxCpuShare, maxCpuPressure,
          loadStopSeconds, loadResumeSeconds, maxTemperatureC, threads, memoryMb, cacheDiskMb, windows, meteredOff, zone);
    }
  }
}
