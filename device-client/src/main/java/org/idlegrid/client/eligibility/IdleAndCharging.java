package org.idlegrid.client.eligibility;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The default policy: run only on AC power and after {@code idleMinutes} without user input.
 * It FAILS CLOSED: a probe that cannot tell is a refusal with a reason that says what is
 * missing. Battery floor, CPU load, thermal and time windows come with the OS probes later.
 */
public final class IdleAndCharging implements Eligibility {
  public static final Duration DEFAULT_IDLE = Duration.ofMinutes(3);

  private final PowerProbe power;
  private final IdleProbe idle;
  private final Duration idleNeeded;

  public IdleAndCharging(PowerProbe power, IdleProbe idle, Duration idleNeeded) {
    this.power = power;
    this.idle = idle;
    this.idleNeeded = idleNeeded;
  }

  /** The real probes of this OS; what is not implemented yet refuses (fails closed). */
  public static IdleAndCharging forThisOs() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    PowerProbe power = os.contains("linux")
        ? LinuxPowerProbe.system()
        : PowerProbe.unknown("no power probe for " + System.getProperty("os.name") + " yet");
    return new IdleAndCharging(power, IdleProbe.none("no idle probe for this OS yet"), DEFAULT_IDLE);
  }

  @Override
  public Decision check() {
    PowerProbe.Power p = power.read();
    switch (p.state()) {
      case BATTERY:
        return Decision.refuse("on-battery: " + p.detail());
      case UNKNOWN:
        return Decision.refuse("cannot tell whether the device is on AC power: " + p.detail());
      default:
        break;
    }
    Optional<Duration> idleFor = idle.idleFor();
    if (idleFor.isEmpty()) {
      return Decision.refuse("cannot tell whether the device is idle: " + idle.whyUnknown());
    }
    if (idleFor.get().compareTo(idleNeeded) < 0) {
      return Decision.refuse("user-active: last input " + idleFor.get().toSeconds() + " s ago");
    }
    return Decision.eligible();
  }
}
