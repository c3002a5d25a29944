package org.idlegrid.client.eligibility;

/** Tells whether the device runs on mains power. */
@FunctionalInterface
public interface PowerProbe {
  Power read();

  /** What the probe found; {@code detail} says how (or why it cannot tell). */
  record Power(State state, String detail) {
    public enum State { AC, BATTERY, UNKNOWN }

    public static Power ac(String detail) {
      return new Power(State.AC, detail);
    }

    public static Power battery(String detail) {
      return new Power(State.BATTERY, detail);
    }

    public static Power unknown(String detail) {
      return new Power(State.UNKNOWN, detail);
    }
  }

  static PowerProbe unknown(String why) {
    return () -> Power.unknown(why);
  }
}
