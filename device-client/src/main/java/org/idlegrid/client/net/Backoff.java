package org.idlegrid.client.net;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with "equal jitter": attempt n waits between half and all of
 * {@code min(max, initial * 2^(n-1))}, so that a fleet of clients that lost the coordinator at
 * the same moment does not come back in lockstep.
 */
public record Backoff(Duration initial, Duration max, DoubleSupplier jitter) {
  public Backoff {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("backoff initial: must be positive, got " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff max: must be >= initial (" + initial + "), got " + max);
    }
  }

  public static Backoff of(Duration initial, Duration max) {
    return new Backoff(initial, max, () -> ThreadLocalRandom.current().nextDouble());
  }

  /** 0.5 s doubling up to 60 s. */
  public static Backoff standard() {
    return of(Duration.ofMillis(500), Duration.ofSeconds(60));
  }

  /** The wait before retry number {@code attempt} (1 = the first retry). */
  public Duration delay(int attempt) {
    long cap = max.toMillis();
    long base = initial.toMillis();
    for (int i = 1; i < attempt && base < cap; i++) {
      base *= 2;
    }
    base = Math.min(base, cap);
    double j = Math.min(1.0, Math.max(0.0, jitter.getAsDouble()));
    return Duration.ofMillis(base / 2 + Math.round(j * (base - base / 2)));
  }
}
