package org.idlegrid.client.eligibility;

import java.nio.file.Path;

/**
 * The client's promise to the device owner, behind one small interface: work runs only while
 * {@link #check()} says so. The work loop calls it before asking for work and at least every
 * second while a unit runs. Implementations must be cheap (a few file reads) and must FAIL
 * CLOSED: when they cannot tell, they refuse and say why.
 */
@FunctionalInterface
public interface Eligibility {
  Decision check();

  /** For dedicated machines and tests: always eligible. */
  static Eligibility always() {
    return Decision::eligible;
  }

  /**
   * The policy by its command-line name: {@code always} or {@code idle-and-charging} (the
   * default, with the real probes of this OS).
   */
  static Eligibility forPolicy(String policy) {
    return switch (policy) {
      case "always" -> always();
      case "idle-and-charging" -> IdleAndCharging.forThisOs();
      default -> throw new IllegalArgumentException(
          "policy: unknown policy '" + policy + "' (use idle-and-charging or always)");
    };
  }

  /** {@code inner}, refused with reason {@code paused} while {@code stateDir/paused} exists. */
  static Eligibility pausable(Eligibility inner, Path stateDir) {
    return () -> PauseFlag.isPaused(stateDir) ? Decision.refuse(PauseFlag.REASON) : inner.check();
  }
}
