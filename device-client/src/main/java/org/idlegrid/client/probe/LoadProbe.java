package org.idlegrid.client.probe;

/** How busy the device is with OTHER work than ours. */
@FunctionalInterface
public interface LoadProbe {
  Load read();

  /**
   * @param othersCpu other processes' CPU use as a share of all cores (0..1), ours subtracted;
   *     null when not measurable yet (the first reading has no interval) or at all
   * @param pressure Linux PSI {@code /proc/pressure/cpu} "some avg10" in percent, or null. PSI
   *     counts our own runnable threads too, so the policy uses it only before starting work
   * @param detail how it was measured, or why not
   */
  record Load(Double othersCpu, Double pressure, String detail) {
    public static Load unknown(String why) {
      return new Load(null, null, why);
    }
  }

  static LoadProbe unknown(String why) {
    return () -> Load.unknown(why);
  }
}
