package org.idlegrid.bench.sim;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** The simulation's time: moved only by the event loop, never by the wall clock. */
final class VirtualClock extends Clock {
  private static final long EPOCH = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();
  private long millis;

  /** Virtual milliseconds since the start of the run. */
  long elapsed() {
    return millis;
  }

  void set(long elapsedMillis) {
    if (elapsedMillis > millis) {
      millis = elapsedMillis;
    }
  }

  @Override
  public long millis() {
    return EPOCH + millis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
