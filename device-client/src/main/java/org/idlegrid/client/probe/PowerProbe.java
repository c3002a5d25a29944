package org.idlegrid.client.probe;

/**
 * Where the device's power comes from. Implementations read the OS (sysfs, pmset, Windows
 * GetSystemPowerStatus) and must FAIL CLOSED: when they cannot tell, the state is
 * {@link Power.State#UNKNOWN} with a detail that says what is missing.
 */
@FunctionalInterface
public interface PowerProbe {
  Power read();

  /**
   * What a probe found.
   *
   * @param state AC, BATTERY or UNKNOWN ("on AC" keys on the charger being online, never on
   *     "Charging": a charge-limited laptop on its charger says "Not charging")
   * @param batteryPercent the system battery's charge 0..100, or null (no battery, or not told)
   * @param hasBattery whether a system battery was found (false plus AC = a proven desktop)
   * @param saver whether the OS's battery saver / low-power mode is on (the owner wants less work)
   * @param detail how the probe knows, or why it cannot tell
   */
  record Power(State state, Integer batteryPercent, boolean hasBattery, boolean saver, String detail) {
    public enum State { AC, BATTERY, UNKNOWN }

    public static Power ac(String detail) {
      return new Power(State.AC, null, false, false, detail);
    }

    public static Power battery(String detail) {
      return new Power(State.BATTERY, null, true, false, detail);
    }

    public static Power unknown(String detail) {
      return new Power(State.UNKNOWN, null, false, false, detail);
    }

    public Power withBattery(Integer percent) {
      return new Power(state, percent, true, saver, detail);
    }

    public Power withSaver(boolean on) {
      return new Power(state, batteryPercent, hasBattery, on, detail);
    }

    /** On AC with no battery anywhere: a desktop, the one case where "unknown" never arises. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean provenDesktop() {
      return state == State.AC && !hasBattery;
    }
  }

  static PowerProbe unknown(String why) {
    return () -> Power.unknown(why);
  }

  /** The first probe that can tell; UNKNOWN (with every probe's reason) if none can. */
  static PowerProbe firstKnown(PowerProbe... probes) {
    return () -> {
      StringBuilder why = new StringBuilder();
      for (PowerProbe p : probes) {
        Power r = p.read();
        if (r.state() != Power.State.UNKNOWN) {
          return r;
        }
        why.append(why.isEmpty() ? "" : "; ").append(r.detail());
      }
      return Power.unknown(why.toString());
    };
  }
}
