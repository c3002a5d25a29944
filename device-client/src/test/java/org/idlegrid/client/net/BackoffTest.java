package org.idlegrid.client.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void delayDoublesUpToTheCapWithEqualJitter() {
    Backoff none = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(60), () -> 0.0);
    Backoff full = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(60), () -> 1.0);
    assertEquals(Duration.ofMillis(250), none.delay(1));
    assertEquals(Duration.ofMillis(500), full.delay(1));
    assertEquals(Duration.ofMillis(4000), full.delay(4));
    assertEquals(Duration.ofSeconds(60), full.delay(30));
    assertEquals(Duration.ofSeconds(30), none.delay(1000));
  }

  @Test
  void maxBelowInitialIsRefusedNamingTheField() {
    var e = assertThrows(IllegalArgumentException.class, () -> Backoff.of(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertEquals(true, e.getMessage().startsWith("backoff max"));
  }
}
