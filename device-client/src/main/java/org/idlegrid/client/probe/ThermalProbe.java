package org.idlegrid.client.probe;

/** How hot the CPU is, where the OS tells it. */
@FunctionalInterface
public interface ThermalProbe {
  Thermal read();

  /**
   * @param celsius the hottest CPU sensor, or null when the OS does not tell
   * @param throttleEvents thermal throttling events since the previous reading (0 when unknown)
   * @param detail which sensors, or why none
   */
  record Thermal(Double celsius, long throttleEvents, String detail) {
    public static Thermal unknown(String why) {
      return new Thermal(null, 0, why);
    }
  }

  static ThermalProbe unknown(String why) {
    return () -> Thermal.unknown(why);
  }
}
