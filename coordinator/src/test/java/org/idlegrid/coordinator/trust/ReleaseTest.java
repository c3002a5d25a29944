package org.idlegrid.coordinator.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device quarantined for verdicts that were later reversed (it lost to colluders who were
 * convicted afterwards) is released; one whose counts still pass a threshold is not.
 */
class ReleaseTest {

  /** 4 results judged, 2 invalid: quarantined (the default threshold, 0.5 of at least 4). */
  private static void quarantine(EngineFixture f, String id) {
    f.store.transaction(tx -> {
      tx.addDeviceCounts(id, 4, 2, 2, 0);
      assertTrue(f.trust.maybeQuarantine(tx, id));
      return null;
    });
  }

  @Test
  void aDeviceQuarantinedForVerdictsThatWereReversedIsReleased(@TempDir Path dir) throws Exception {
    try (EngineFixture f = new EngineFixture(dir)) {
      f.device("a", "owner-a");
      quarantine(f, "a");
      assertEquals(DeviceState.QUARANTINED, f.deviceRow("a").state());
      boolean released = f.store.transaction(tx -> {
        tx.addDeviceCounts("a", 0, 1, -1, 0); // one INVALID verdict regraded VALID: 3 valid, 1 invalid
        return f.trust.maybeRelease(tx, "a");
      });
      assertTrue(released);
      assertEquals(DeviceState.ACTIVE, f.deviceRow("a").state());
      assertTrue(f.deviceRow("a").stateReason().contains("reversed"), f.deviceRow("a").stateReason());
    }
  }

  @Test
  void aQuarantinedDeviceWhoseCountsStillPassAThresholdStaysQuarantined(@TempDir Path dir) throws Exception {
    try (EngineFixture f = new EngineFixture(dir)) {
      f.device("a", "owner-a");
      f.device("b", "owner-b");
      quarantine(f, "a");
      boolean released = f.store.transaction(tx -> {
        tx.addDeviceCounts("a", 1, 0, 1, 0); // one more invalid: 2 valid, 3 invalid
        return f.trust.maybeRelease(tx, "a");
      });
      assertFalse(released);
      assertEquals(DeviceState.QUARANTINED, f.deviceRow("a").state());
      boolean banned = f.store.transaction(tx -> tx.transitionDevice("b", DeviceState.ACTIVE, DeviceState.BANNED, "x"));
      assertTrue(banned);
      boolean bannedReleased = f.store.transaction(tx -> f.trust.maybeRelease(tx, "b"));
      assertFalse(bannedReleased, "a ban is an admin's to lift");
      assertEquals(DeviceState.BANNED, f.deviceRow("b").state());
    }
  }
}
