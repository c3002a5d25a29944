package org.idlegrid.client.eligibility;

import java.nio.file.Path;
import java.time.Clock;
import org.idlegrid.client.probe.Readings;

/**
 * The client's promise to the device owner, behind one small interface: work runs only while
 * {@link #check()} says so. The work loop calls it before asking for work and at least every
 * second while a unit runs. Implementations must be cheap (a few file reads) and must FAIL
 * CLOSED: when they cannot tell, they refuse and say why.
 */
@FunctionalInterface
public interface Eligibility {
  Decision check();

  /** What the last check saw, for {@code status}; null when this eligibility reads no probes. */
  default Readings lastReadings() {
    return null;
  }

  /** For dedicated machines and tests: always eligible. */
  static Eligibility always() {
    return Decision::eligible;
  }

  /** The policy by its command-line name, with default preferences. */
  static Eligibility forPolicy(String policy) {
    return forPolicy(policy, Preferences.defaults(), Clock.systemUTC());
  }

  /**
   * The policy by its command-line name: {@code always} or {@code idle-and-charging} (the
   * default: this OS's probes under the owner's preferences).
   */
  static Eligibility forPolicy(String policy, Preferences preferences, Clock clock) {
    return switch (checkName(policy)) {
      case "always" -> always();
      default -> OwnerPolicy.forThisOs(preferences, clock);
    };
  }

  /** Returns the name if it is a policy, else throws naming the field. */
  static String checkName(String policy) {
    if (!"always".equals(policy) && !"idle-and-charging".equals(policy)) {
      throw new IllegalArgumentException("policy: unknown policy '" + policy + "' (use idle-and-charging or always)");
    }
    return policy;
  }

  /** {@code inner}, refused with reason {@code paused} while {@code stateDir/paused} exists. */
  static Eligibility pausable(Eligibility inner, Path stateDir) {
    return new Eligibility() {
      @Override
      public Decision check() {
        return PauseFlag.isPaused(stateDir) ? Decision.refuse(PauseFlag.REASON) : inner.check();
      }

      @Override
      public Readings lastReadings() {
        return inner.lastReadings();
      }
    };
  }
}
