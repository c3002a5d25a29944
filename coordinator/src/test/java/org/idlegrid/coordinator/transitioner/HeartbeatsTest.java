package org.idlegrid.coordinator.transitioner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeartbeatsTest {
  static final long MIN = 60_000;
  final Heartbeats beats = new Heartbeats(Duration.ofMinutes(2));

  @Test
  void aDeviceThatAskedAndWentQuietIsReportedOnceUntilItIsHeardAgain() {
    beats.asked("a", 0);
    assertEquals(List.of(), beats.silent(2 * MIN), "quiet for exactly silentAfter: not yet");
    assertEquals(List.of("a"), beats.silent(2 * MIN + 1));
    assertEquals(List.of(), beats.silent(10 * MIN), "reported once per silence");
    beats.heard("a", 11 * MIN); // it claims again
    assertEquals(List.of(), beats.silent(12 * MIN));
    assertEquals(List.of("a"), beats.silent(13 * MIN + 1), "a new silence is reported again");
  }

  @Test
  void aDeviceThatNeverAskedIsNeverReported() {
    beats.heard("b", 0); // a claim from a client that does not ask
    assertEquals(List.of(), beats.silent(60 * MIN));
  }

  @Test
  void theLatestTimeWinsSoAsksMayBeRegisteredAhead() {
    beats.asked("a", 5 * MIN); // the simulator registers the asks a device will make
    beats.heard("a", MIN);
    assertEquals(List.of(), beats.silent(7 * MIN));
    assertEquals(List.of("a"), beats.silent(7 * MIN + 1));
  }

  @Test
  void aDeviceQuietForADayIsForgotten() {
    beats.asked("a", 0);
    assertEquals(List.of("a"), beats.silent(Heartbeats.FORGET_AFTER_MS + 1));
    beats.heard("a", Heartbeats.FORGET_AFTER_MS + 2); // forgotten: a claim alone does not make it heartbeat
    assertEquals(List.of(), beats.silent(Heartbeats.FORGET_AFTER_MS + 10 * MIN));
  }

  @Test
  void silentAfterMustBePositive() {
    assertEquals("silentAfter must be positive, got PT0S",
        assertThrows(IllegalArgumentException.class, () -> new Heartbeats(Duration.ZERO)).getMessage());
  }
}
