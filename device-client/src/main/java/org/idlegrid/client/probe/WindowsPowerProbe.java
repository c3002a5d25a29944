package org.idlegrid.client.probe;

import com.sun.jna.Native;
import com.sun.jna.Structure;
import com.sun.jna.win32.StdCallLibrary;

/**
 * Windows power from {@code GetSystemPowerStatus} (kernel32, mapped here: jna-platform has no
 * mapping). Field meanings per Microsoft's SYSTEM_POWER_STATUS documentation:
 * ACLineStatus 0 offline / 1 online / 255 unknown; BatteryFlag bit 8 charging, 128 no system
 * battery, 255 unknown; BatteryLifePercent 0..100 or 255; SystemStatusFlag 1 = battery saver on
 * (treated as a pause). As BOINC does, a charging battery counts as AC even when ACLineStatus
 * has an undocumented value.
 */
public final class WindowsPowerProbe implements PowerProbe {

  /** SYSTEM_POWER_STATUS. */
  @Structure.FieldOrder({"ACLineStatus", "BatteryFlag", "BatteryLifePercent", "SystemStatusFlag",
      "BatteryLifeTime", "BatteryFullLifeTime"})
  public static class SystemPowerStatus extends Structure {
    public byte ACLineStatus;
    public byte BatteryFlag;
    public byte BatteryLifePercent;
    public byte SystemStatusFlag;
    public int BatteryLifeTime;
    public int BatteryFullLifeTime;
  }

  interface Kernel32Power extends StdCallLibrary {
    boolean GetSystemPowerStatus(SystemPowerStatus status);
  }

  private static volatile Kernel32Power kernel32;

  @Override
  public Power read() {
    try {
      if (kernel32 == null) {
        kernel32 = Native.load("kernel32", Kernel32Power.class);
      }
      SystemPowerStatus s = new SystemPowerStatus();
      if (!kernel32.GetSystemPowerStatus(s)) {
        return Power.unknown("GetSystemPowerStatus failed (error " + Native.getLastError() + ")");
      }
      return interpret(s.ACLineStatus & 0xff, s.BatteryFlag & 0xff, s.BatteryLifePercent & 0xff,
          s.SystemStatusFlag & 0xff);
    } catch (LinkageError | RuntimeException e) {
      return Power.unknown("GetSystemPowerStatus unavailable: " + e.getMessage());
    }
  }

  /** The decision on the struct's values (unsigned), separate so it is tested on any OS. */
  static Power interpret(int acLineStatus, int batteryFlag, int batteryLifePercent, int systemStatusFlag) {
    boolean saver = (systemStatusFlag & 1) != 0;
    boolean flagKnown = batteryFlag != 255;
    boolean noBattery = flagKnown && (batteryFlag & 128) != 0;
    boolean charging = flagKnown && (batteryFlag & 8) != 0;
    Integer percent = batteryLifePercent <= 100 ? batteryLifePercent : null;
    String detail = "ACLineStatus " + acLineStatus + ", BatteryFlag " + batteryFlag;
    Power p;
    if (acLineStatus == 1 || charging) {
      p = Power.ac(detail);
    } else if (acLineStatus == 0) {
      p = noBattery ? Power.unknown(detail + ": off line with no battery") : Power.battery(detail);
    } else if (noBattery) {
      p = Power.ac(detail + ": no system battery (a desktop)");
    } else {
      p = Power.unknown(detail + ": Windows cannot tell the power source");
    }
    if (!noBattery && flagKnown) {
      p = p.withBattery(percent);
    } else if (p.state() == Power.State.BATTERY) {
      p = p.withBattery(percent);
    }
    return p.withSaver(saver);
  }
}
