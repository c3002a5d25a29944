package org.idlegrid.client.eligibility;

import java.time.Duration;
import java.util.Optional;

/** How long the user has left the device alone; empty when this probe cannot tell. */
@FunctionalInterface
public interface IdleProbe {
  /** The time since the last user input, or empty with {@link #whyUnknown()} saying why. */
  Optional<Duration> idleFor();

  default String whyUnknown() {
    return "no idle probe for this OS yet";
  }

  static IdleProbe none(String why) {
    return new IdleProbe() {
      @Override
      public Optional<Duration> idleFor() {
        return Optional.empty();
      }

      @Override
      public String whyUnknown() {
        return why;
      }
    };
  }
}
