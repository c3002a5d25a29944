package org.idlegrid.client.probe;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.platform.mac.CoreFoundation;
import com.sun.jna.platform.mac.CoreFoundation.CFArrayRef;
import com.sun.jna.platform.mac.CoreFoundation.CFDictionaryRef;
import com.sun.jna.platform.mac.CoreFoundation.CFNumberRef;
import com.sun.jna.platform.mac.CoreFoundation.CFStringRef;
import com.sun.jna.platform.mac.CoreFoundation.CFTypeRef;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * macOS power from IOKit's IOPowerSources API (IOKit framework, called through JNA; what
 * {@code pmset -g batt} prints, without starting a process):
 * <ul>
 *   <li>{@code IOPSCopyPowerSourcesInfo()}: a snapshot we own (released);
 *   <li>{@code IOPSGetProvidingPowerSourceType(snapshot)}: "AC Power", "Battery Power" or
 *       "UPS Power" (a Get: not ours, not released). Battery and UPS are both "not on mains";
 *   <li>{@code IOPSCopyPowerSourcesList(snapshot)} (ours, released) and
 *       {@code IOPSGetPowerSourceDescription} (a Get) per source: "Type" ("InternalBattery" is
 *       the system battery; "UPS" is not), "Current Capacity", "Max Capacity" (percent =
 *       current / max). No internal battery plus "AC Power" is a proven desktop (Mac mini).
 * </ul>
 * Every CFString key we create is released; dictionary values are Gets and are not. Low Power
 * Mode has no public IOKit call, so it still comes from {@code pmset -g} ({@code lowpowermode 1}),
 * read only when IOKit answered. The decision is {@link #interpret}, a pure function over plain
 * values tested on any OS; the JNA part only runs on macOS. Any failure (framework missing, a
 * null snapshot) is UNKNOWN, and {@link #withPmsetFallback} then asks {@link MacPowerProbe}.
 */
public final class MacIoKitPowerProbe implements PowerProbe {
  static final String INTERNAL_BATTERY = "InternalBattery";
  private static final Pattern LOW_POWER = Pattern.compile("(?m)^\\s*lowpowermode\\s+1\\s*$");

  /** One power source's description: its "Type" and capacities (each null when absent). */
  record Source(String type, Integer current, Integer max) {}

  /** The IOPowerSources calls (IOKit framework; jna-platform's IOKit lacks the providing type). */
  interface IOPowerSources extends Library {
    CFTypeRef IOPSCopyPowerSourcesInfo();

    CFStringRef IOPSGetProvidingPowerSourceType(CFTypeRef snapshot);

    CFArrayRef IOPSCopyPowerSourcesList(CFTypeRef snapshot);

    CFDictionaryRef IOPSGetPowerSourceDescription(CFTypeRef snapshot, CFTypeRef powerSource);
  }

  private static volatile IOPowerSources iops;
  private static volatile String loadFailure;

  private final CommandRunner commands;

  /** @param commands runs {@code pmset -g} for Low Power Mode */
  public MacIoKitPowerProbe(CommandRunner commands) {
    this.commands = commands;
  }

  /** IOKit first; when it cannot tell, {@code pmset -g batt}. The macOS power probe. */
  public static PowerProbe withPmsetFallback(CommandRunner commands) {
    return PowerProbe.firstKnown(new MacIoKitPowerProbe(commands), new MacPowerProbe(commands));
  }

  @Override
  public Power read() {
    IOPowerSources lib = library();
    if (lib == null) {
      return Power.unknown("IOKit power sources unavailable: " + loadFailure);
    }
    String providing;
    List<Source> sources = new ArrayList<>();
    try {
      CFTypeRef snapshot = lib.IOPSCopyPowerSourcesInfo();
      if (snapshot == null) {
        return Power.unknown("IOPSCopyPowerSourcesInfo returned null");
      }
      try {
        CFStringRef type = lib.IOPSGetProvidingPowerSourceType(snapshot);
        providing = type == null ? null : type.stringValue();
        CFArrayRef list = lib.IOPSCopyPowerSourcesList(snapshot);
        if (list != null) {
          try {
            for (int i = 0; i < list.getCount(); i++) {
              Pointer ps = list.getValueAtIndex(i);
              CFDictionaryRef d = ps == null ? null : lib.IOPSGetPowerSourceDescription(snapshot, new CFTypeRef(ps));
              if (d != null) {
                sources.add(new Source(string(d, "Type"), number(d, "Current Capacity"), number(d, "Max Capacity")));
              }
            }
          } finally {
            list.release();
          }
        }
      } finally {
        snapshot.release();
      }
    } catch (LinkageError | RuntimeException e) {
      return Power.unknown("IOKit power sources failed: " + firstLine(e));
    }
    boolean lowPower = commands.run(List.of("pmset", "-g")).map(MacIoKitPowerProbe::lowPowerMode).orElse(false);
    return interpret(providing, sources, lowPower);
  }

  /**
   * The decision on IOKit's values, separate so it is tested on any OS.
   *
   * @param providing IOPSGetProvidingPowerSourceType's string, or null
   * @param sources every power source's description
   * @param lowPowerMode whether Low Power Mode is on (the saver)
   */
  static Power interpret(String providing, List<Source> sources, boolean lowPowerMode) {
    List<Source> batteries = sources.stream().filter(s -> INTERNAL_BATTERY.equals(s.type())).toList();
    Integer percent = batteries.stream()
        .filter(b -> b.current() != null && b.max() != null && b.max() > 0)
        .map(b -> (int) Math.max(0, Math.min(100, Math.round(100.0 * b.current() / b.max()))))
        .findFirst().orElse(null);
    Power p;
    if (providing == null) {
      p = Power.unknown("IOKit named no providing power source");
    } else {
      p = switch (providing) {
        case "AC Power" -> Power.ac("IOKit: AC Power");
        case "Battery Power", "UPS Power" -> Power.battery("IOKit: " + providing);
        default -> Power.unknown("IOKit: unknown power source '" + providing + "'");
      };
    }
    return (batteries.isEmpty() ? p : p.withBattery(percent)).withSaver(lowPowerMode);
  }

  /** {@code pmset -g} says {@code lowpowermode 1}. */
  static boolean lowPowerMode(String pmsetG) {
    return LOW_POWER.matcher(pmsetG).find();
  }

  /** The framework, loaded once; null (with {@link #loadFailure} set) where there is none. */
  private static IOPowerSources library() {
    IOPowerSources lib = iops;
    if (lib == null && loadFailure == null) {
      synchronized (MacIoKitPowerProbe.class) {
        if (iops == null && loadFailure == null) {
          try {
            iops = Native.load("IOKit", IOPowerSources.class);
          } catch (LinkageError | RuntimeException e) {
            loadFailure = firstLine(e);
          }
        }
        lib = iops;
      }
    }
    return lib;
  }

  private static String string(CFDictionaryRef d, String key) {
    Pointer v = value(d, key);
    return v != null && new CFTypeRef(v).isTypeID(CoreFoundation.STRING_TYPE_ID) ? new CFStringRef(v).stringValue() : null;
  }

  private static Integer number(CFDictionaryRef d, String key) {
    Pointer v = value(d, key);
    return v != null && new CFTypeRef(v).isTypeID(CoreFoundation.NUMBER_TYPE_ID) ? new CFNumberRef(v).intValue() : null;
  }

  /** A Get: the value is the dictionary's; the key we create is ours and released. */
  private static Pointer value(CFDictionaryRef d, String key) {
    CFStringRef k = CFStringRef.createCFString(key);
    try {
      return d.getValue(k);
    } finally {
      k.release();
    }
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    String line = (nl < 0 ? m : m.substring(0, nl)).strip();
    return e.getClass().getSimpleName() + ": " + (line.endsWith(":") ? line.substring(0, line.length() - 1) : line);
  }
}
